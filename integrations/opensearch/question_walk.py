"""One left-to-right pass over a tagged log question: function words set the state (exclusion,
comparison, grouping, sort), field mentions and levels become clauses or aggregations, values go to
attach.Attaching to find their field. The pass is split by purpose: walk_kinds (levels, event types,
object kinds, "who"), walk_sorting (superlatives and "most ..."), walk_leftovers (values still without
a field at the end: a field named without one, else the message as text)."""

from __future__ import annotations

from integrations.opensearch.field_clauses import (
    agg_field,
    field_mention,
    fits,
)
from integrations.opensearch.mapping import DATE, EXACT, NUMERIC
from integrations.opensearch.question import FieldClause, LogAggregation
from integrations.opensearch.question_tokens import Token, lookahead, tokens_joined
from integrations.opensearch.question_words import (
    AUXILIARIES,
    BOUNDARY,
    DURATION_UNITS,
    FILLER,
    GROUP_VERBS,
    HTTP_METHODS,
    MULTIPLIERS,
    TIME_WORDS,
    WHO,
)
from integrations.opensearch.ranking import (
    COUNT_WORDS,
    DEFAULT_TOP,
    MOST,
    TOP_N,
    ranks_by_count,
    superlative_of,
)
from integrations.opensearch.typed_values import (
    BARE_UNIT,
    Value,
    currency_of,
    level_of,
    spoken_number,
    typed_value,
    unit_factor,
)
from integrations.opensearch.value_words import (
    object_fields,
    object_kind_of,
    outcome_field,
)
from integrations.opensearch.vocabulary import FieldInfo, is_measure, stem
from integrations.opensearch.walk_kinds import KindWords
from integrations.opensearch.walk_leftovers import Leftovers
from integrations.opensearch.walk_sorting import Sorting

# A negated comparison is the opposite bound ("не дольше 100 мс": at most 100 ms).
INVERSE = {"gt": "lte", "gte": "lt", "lt": "gte", "lte": "gt"}


class Walk(KindWords, Sorting, Leftovers):
    """One left-to-right pass over the tagged tokens."""

    def run(self) -> None:
        index = 0
        while index < len(self.tokens):
            index = self.step(index)
        if self.group_at >= 0 and self.top_size != DEFAULT_TOP and self.r.aggs:
            self.r.aggs[-1].size = self.top_size  # "404s per path, top 20": the size of the grouping before
        self.settle()

    def step(self, index: int) -> int:
        self.at = index
        token = self.tokens[index]
        if token.used or token.tag == "cont":
            return index + 1
        previous = self.tokens[index - 1] if index else None
        valued = previous is not None and previous.text in ("=", ":") and not previous.tag  # "app=cart"
        if token.tag and not (valued and token.kind == "word"):
            return self.lexical(index, token, token.tag)
        if (level := level_of(token)) is not None and field_mention(self.tokens, index, self.vocab) is None:
            if level == "error" and self._status_beside(index):
                token.used = True  # "5xx errors", "ошибки 5xx": the status says which errors
                return index + 1
            if level == "error" and (error_field := self._error_field(index)) is not None:
                return self.field(index, error_field, 1)  # "с ошибкой no_healthy_upstream": the layout's error code
            return self.level_step(index, token, level)
        if token.kind == "word" and (typed := typed_value(token, self.vocab)) is not None and \
                typed.type in ("outcome", "namespace") and not self._compound(index):
            # "kube-system" is a name, not a mention of kubernetes.*
            self.value(index, typed)  # "timeouts" is a result, not a mention of a time field
            return index + 1
        if (objects := object_fields(self.vocab)) is not None and (kind := object_kind_of(token.text)) is not None:
            self.object_kind(index, kind, *objects)
            return index + 1
        if token.low == "timed" and index + 1 < len(self.tokens) and self.tokens[index + 1].low == "out" \
                and outcome_field(self.vocab) is not None:  # "timed out jobs"
            self.tokens[index + 1].used = True
            self.value(index, Value(token, "outcome", "timeout"))
            return index + 2
        mention = field_mention(self.tokens, index, self.vocab)
        if mention is not None and self._listed(index, mention[0]):
            self.value(index, Value(token, "word", token.text))  # "кроме succeeded и retrying": one more value
            return index + 1
        if mention is not None:
            return self.field(index, *mention)
        low = token.low
        if (sup := superlative_of(token, previous)) is not None:
            named = field_mention(self.tokens, index + 1, self.vocab)
            if sup[0] is not None and named is not None and named[0].type in NUMERIC:
                sup = (None, sup[1])  # "самый большой лаг": the measure is named, not implied
            self.sort_by(sup, token)
            return index + 1
        if ranks_by_count(token, previous) and field_mention(self.tokens, index + 1, self.vocab) is not None \
                and not any(a.kind == "top" for a in self.r.aggs):  # "which queue has the most dead jobs": counted
            token.used = True  # "busiest paths", "самые шумные поды": the paths with the most lines
            self.group_at, self.group_typed_only = index, True
            return index + 1
        if (match := TOP_N.match(token.text)) is not None:
            self.top_size, self.group_at, self.group_typed_only = int(match.group(1)), index, True
            token.used = True
            return index + 1
        if previous is not None and previous.text in ("=", ":") and not previous.tag and token.kind == "word":
            self.value(index, Value(token, "ident" if not token.text.isalpha() else "word", token.text))
            return index + 1
        if low.startswith(GROUP_VERBS) and any(t.tag == "group" for t in self.tokens[index + 1:index + 4]):
            token.used = True  # "grouped per", "сгруппируй по": the preposition says it
            return index + 1
        if low in BOUNDARY:
            token.used = True
            if self.scope and self.scope_used:
                self.scope = False
            self.pending = None
            return index + 1
        if (low in FILLER or (len(low) == 1 and not low.isdigit())) and token.text not in HTTP_METHODS:
            token.used = True
            return index + 1
        value = typed_value(token, self.vocab)
        if value is not None and value.type == "outcome" and self._compound(index):
            value = None  # listed as not understood rather than read as half a value
        following = self.tokens[index + 1] if index + 1 < len(self.tokens) else None
        if self.cmp and (unit := BARE_UNIT.match(token.text)) is not None:  # "дольше часа", "over a minute"
            factor = unit_factor(unit.group(1).lower(), DURATION_UNITS) or 1.0
            value = Value(token, "duration", token.text, factor)
        elif (self.cmp or (following is not None and following.tag in ("post_gte", "post_lte"))) and \
                (spoken := spoken_number(self.tokens, index)) is not None:  # "больше трёх", "тремя и более"
            value = spoken[0]
            for other in self.tokens[index + 1:index + spoken[1]]:
                other.used = True
        if value is not None and value.type in ("number", "status") and following is not None \
                and following.low in MULTIPLIERS:  # "больше 100 тыс строк"
            following.used = True
            value = Value(token, "number", token.text, (value.number or 0.0) * MULTIPLIERS[following.low])
        if value is not None and value.type in ("number", "status") and self._money(index, value):
            return index + 2
        valued = self.pending is not None and self.pending_at == index - 1 and value is not None \
            and fits(value, self.pending) and not value.text.lower().endswith(("ing", "ed"))
        # "к таблице payments дольше секунды": the table's value; "logins taking more than": a verb
        if value is not None and value.type == "word" and following is not None \
                and following.tag in ("gt", "gte", "lt", "lte") and not valued:
            return index + 1  # "logins taking more than 2 s": a verb before a comparison, not a value
        if value is not None:
            self.value(index, value)
        return index + 1

    def _listed(self, index: int, named: FieldInfo) -> bool:
        """A plain word joined to the last keyword value that names another field with no value of its own
        after it is one more value of the list, not a field ("succeeded и retrying" on `state`, not `tries`)."""
        last, token = self.last, self.tokens[index]
        info = self.vocab.fields.get(last.field.removesuffix(".keyword")) if last is not None else None
        if last is None or info is None or not self.joined or last.op not in ("term", "terms") or \
                info.type not in EXACT or named.name == info.name or not token.text.isascii() or \
                not token.text.isalpha() or not tokens_joined(self.tokens, self.last_at, index):
            return False
        following = lookahead(self.tokens, index)
        value = typed_value(self.tokens[following], self.vocab) if following is not None else None
        return value is None or not fits(value, named)

    def _compound(self, index: int) -> bool:
        """"dead letter(ed)": an outcome word that is the first half of another value."""
        following = self.tokens[index + 1] if index + 1 < len(self.tokens) else None
        return following is not None and self.tokens[index].low == "dead" and following.low.startswith("letter")

    def _money(self, index: int, value: Value) -> bool:
        """"over 10000 EUR", "меньше 1 доллара": an amount on the money field and the currency on its own."""
        following = self.tokens[index + 1] if index + 1 < len(self.tokens) else None
        code = currency_of(following.low) if following is not None and following.kind == "word" else None
        amount, currency = self.vocab.first("money"), self.vocab.first("currency")
        if following is None or code is None or amount is None or amount.type not in NUMERIC:
            return False
        self.place(value, amount, self.scope)
        following.used = True
        if currency is not None:
            self.add(FieldClause(field=currency.name, op="term", value=code, exclude=self.scope,
                                 words=following.text), "word")
        return True

    def lexical(self, index: int, token: Token, tag: str) -> int:
        token.used = True
        following = self.tokens[index + token.span] if index + token.span < len(self.tokens) else None
        if tag == "excl" and following is not None and following.tag in INVERSE:
            following.used, self.cmp = True, INVERSE[following.tag]  # "не дольше", "no more than": a bound
            return index + token.span + following.span
        if tag == "excl" and token.low == "but" and token.span == 1 and any(
                (named := field_mention(self.tokens, at, self.vocab)) is not None and named[0].type in NUMERIC
                for at in (index + 1, index + 2) if at < len(self.tokens)):
            self.joined = "conn"  # "at least 1.5s but total duration under 2 s": "and", not "except"
            return index + 1
        if tag == "excl":
            self.scope, self.scope_used = True, False
        elif tag in ("gt", "gte", "lt", "lte"):
            self.cmp = "lte" if tag == "lte" and self.between else tag
            after = index + token.span
            while after < len(self.tokens) and self.tokens[after].low in (",", "чем", "than"):
                self.tokens[after].used = True  # "дольше, чем 2 секунды"
                after += 1
            return after
        elif tag == "between":
            self.between, self.cmp = True, "gte"
        elif tag in ("post_gte", "post_lte") and self._number_follows(index + token.span):
            self.joined, self.cmp = "conn", "lt" if tag == "post_lte" else "gt"  # "и меньше 10 КБ"
            return index + token.span
        elif tag in ("post_gte", "post_lte"):
            last = self.last
            if token.text == "+" and (last is None or last.op != "term" or not isinstance(last.value, int | float)):
                self.joined = "conn"  # "warn+error"
                return index + 1
            if last is not None and last.op == "term" and isinstance(last.value, int | float):
                bound = "gte" if tag == "post_gte" else "lte"
                last.op, last.value = "range", None
                setattr(last, bound, self.number)
        elif tag == "which" and token.low == "what" and following is not None and following.low in AUXILIARIES:
            pass  # "what did requester X do": the question's own verb, not "which requester"
        elif tag in ("group", "which", "top"):
            if self.scope and self.scope_used:
                self.scope = False  # "кроме Normal по деплойменту X": the exclusion ends where a new part begins
            if tag == "group" and following is not None and following.low in COUNT_WORDS:
                following.used = True  # "по числу упавших задач": a count, not a grouping
                return index + token.span + 1
            if tag == "group" and self.ranked_at >= 0 and index == self.ranked_at + 1:
                return index + token.span  # "top 3 tenants by failed jobs": what ranks them, not a second grouping
            if tag == "group":
                self.grouped_noun(index)
            self.group_at, self.group_typed_only = index + token.span - 1, tag != "group"
            if tag == "which" and token.low in WHO and self._who(index + token.span):
                return index + token.span
            spoken = spoken_number(self.tokens, index + token.span) if following is not None else None
            if tag == "top" and following is not None and ((following.kind == "num" and not following.unit)
                                                           or (spoken is not None and spoken[0].type == "number")):
                self.top_size = int(spoken[0].number or 0) if spoken is not None else int(float(following.text))
                following.used = True
                self.group_at += 1
        elif tag == "sort":
            self.sort_next = True
        elif tag in ("asc", "desc"):
            self.r.sort_order = "asc" if tag == "asc" else "desc"
            if following is not None and following.kind == "word" and stem(following.text) in TIME_WORDS:
                following.used, self.r.oldest = True, tag == "asc"  # "по возрастанию времени": the hits' own order
                self.r.understood.append("oldest first" if self.r.oldest else "newest first")
            elif self.r.sort_field is None:
                self.sort_next = True  # "по убыванию размера": the field comes next
        elif tag in ("oldest", "newest"):
            self.r.oldest = tag == "oldest"
            self.r.understood.append("oldest first" if tag == "oldest" else "newest first")
        elif tag in ("prefix", "suffix"):
            if token.low == "under" and not self._path_follows(index):
                self.cmp = "lt"  # "under 100ms"; "under /api/" is a prefix
            else:
                self.mode = tag
        elif tag == "contain":
            return self.contain(index + token.span)
        elif tag in ("or", "conn"):
            self.joined = "or" if tag == "or" or self.joined == "or" else "conn"
            return index + token.span
        elif tag == "slow":
            previous = self.tokens[index - 1] if index else None
            if previous is not None and previous.low in MOST:
                self.sort_by(("duration", "desc"), token)
            else:
                token.used = False  # understood only when a duration threshold comes (see parse)
        elif tag == "noise" and "most" in (t.low for t in self.tokens[index:index + token.span]) \
                and self._measure_follows(index + token.span):
            self.superlative = (None, "desc")  # "most retries first", "most repeated events"
        if tag not in ("slow", "noise"):
            self.joined = ""
        return index + token.span

    def _number_follows(self, index: int) -> bool:
        return index < len(self.tokens) and self.tokens[index].kind == "num"

    def _path_follows(self, index: int) -> bool:
        following = lookahead(self.tokens, index)
        return following is not None and self.tokens[following].kind == "path"

    def field(self, index: int, info: FieldInfo, span: int) -> int:
        for token in self.tokens[index:index + span]:
            token.used = True
        following = lookahead(self.tokens, index + span - 1)
        next_value = typed_value(self.tokens[following], self.vocab) if following is not None else None
        takes_value = next_value is not None and fits(next_value, info) and not (
            next_value.type in ("status", "status_class") and info.kind != "status"
            and self.vocab.first("status") is not None) and \
            level_of(self.tokens[following or 0]) is None and \
            field_mention(self.tokens, following or 0, self.vocab) is None
        grouped = self.group_at >= 0 and index - self.group_at <= 3
        if takes_value and grouped and (self.group_typed_only or following != index + span):
            # "which endpoint throws", "у какого клиента чаще всего 429": what is counted; "на каждый ресурс
            # с кодом 5хх": a value after a preposition is another field's
            takes_value = False
        if self.sort_next and info.type in DATE:  # "по возрастанию времени": the hits' own order
            self.r.oldest, self.sort_next = self.r.sort_order == "asc", False
            self.r.understood.append("oldest first" if self.r.oldest else "newest first")
            return index + span
        if not takes_value and is_measure(info) and (
                (grouped and not self.group_typed_only and not self.r.aggs) or self._most_after_measure(index + span)):
            self.sort_next, self.group_at = True, -1  # "by amount desc", "по времени ответа", "повторялись чаще всего"
        if self.sort_next or (self.superlative is not None and self.superlative[0] is None
                              and info.type in NUMERIC and not takes_value):
            self.r.sort_field, self.sort_next = info.name, False
            if self.superlative is not None:
                self.r.sort_order, self.superlative = self.superlative[1], None
            self.r.understood.append(f"sorted by {info.name} {self.r.sort_order}")
            return index + span
        if not takes_value and self._most_after(index + span):
            self.group_at, self.group_typed_only = index, True  # "queue with most failed jobs"
        chained = self.group_chain >= 0 and tokens_joined(self.tokens, self.group_chain, index)  # "by app and pod"
        if ((self.group_at >= 0 and index - self.group_at <= 3) or chained) and not takes_value:
            name = agg_field(info, self.vocab)
            if name is not None:
                self.r.aggs.append(LogAggregation(kind="top", field=name, size=self.top_size))
                self.r.understood.append(f"top {self.top_size} values of {name}")
                self.colon_ends(index + span)
                self.ranked_at = index + span - 1 if self.group_typed_only else -1
                self.group_at, self.top_size, self.group_chain = -1, DEFAULT_TOP, index + span - 1
                return index + span
        self.pending, self.pending_at = info, index + span - 1
        self.mentions.append((self.tokens[index], info))
        if self.floating and all(fits(v, info) and (not v.cmp or info.type in NUMERIC) for v, _ in self.floating) and \
                (self._chained(index) or self._adjacent(index)):
            floating, self.floating = self.floating, []
            for value, exclude in floating:  # "curl or python-requests user agent", "3 or more attempts"
                self.place(value, info, exclude)
                self.joined = "or"
            self.joined = ""
        return index + span
