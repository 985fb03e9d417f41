"""One left-to-right pass over a tagged log question: function words set the state (exclusion,
comparison, grouping, sort), field mentions and levels become clauses or aggregations, values go to
attach.Attaching to find their field."""

from __future__ import annotations

from typing import Literal

from integrations.opensearch.attach import Attaching
from integrations.opensearch.field_clauses import (
    agg_field,
    field_mention,
    fits,
    level_values,
)
from integrations.opensearch.mapping import DATE, EXACT, NUMERIC
from integrations.opensearch.question import FieldClause, LogAggregation
from integrations.opensearch.question_tokens import Token, lookahead, tokens_joined
from integrations.opensearch.question_words import (
    BOUNDARY,
    DURATION_UNITS,
    FILLER,
    HTTP_METHODS,
    TIME_WORDS,
    WHO,
)
from integrations.opensearch.ranking import (
    COUNT_WORDS,
    DEFAULT_TOP,
    FALLBACK_MEASURE,
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
    typed_value,
    unit_factor,
)
from integrations.opensearch.value_words import (
    object_fields,
    object_kind_of,
    outcome_field,
    outcome_of,
)
from integrations.opensearch.vocabulary import FieldInfo, direction_of, is_measure, stem


class Walk(Attaching):
    """One left-to-right pass over the tagged tokens."""

    def run(self) -> None:
        index = 0
        while index < len(self.tokens):
            index = self.step(index)
        if self.group_at >= 0 and self.top_size != DEFAULT_TOP and self.r.aggs:
            self.r.aggs[-1].size = self.top_size  # "404s per path, top 20": the size of the grouping before

    def step(self, index: int) -> int:
        self.at = index
        token = self.tokens[index]
        if token.used or token.tag == "cont":
            return index + 1
        previous = self.tokens[index - 1] if index else None
        if token.tag and not (previous is not None and previous.text in ("=", ":") and token.kind == "word"):
            return self.lexical(index, token, token.tag)
        if (level := level_of(token)) is not None and field_mention(self.tokens, index, self.vocab) is None:
            if level == "error" and self._status_beside(index):
                token.used = True  # "5xx errors", "ошибки 5xx": the status says which errors
                return index + 1
            if level == "error" and (error_field := self._error_field(index)) is not None:
                return self.field(index, error_field, 1)  # "с ошибкой no_healthy_upstream": the layout's error code
            self.level(token, level, *self._more_levels(token))
            return index + 1
        if token.kind == "word" and (typed := typed_value(token, self.vocab)) is not None and \
                typed.type in ("outcome", "namespace"):  # "kube-system" is a name, not a mention of kubernetes.*
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
        if mention is not None:
            return self.field(index, *mention)
        low = token.low
        if (sup := superlative_of(token, previous)) is not None:
            named = field_mention(self.tokens, index + 1, self.vocab)
            if sup[0] is not None and named is not None and named[0].type in NUMERIC:
                sup = (None, sup[1])  # "самый большой лаг": the measure is named, not implied
            self.sort_by(sup, token)
            return index + 1
        if ranks_by_count(token, previous) and field_mention(self.tokens, index + 1, self.vocab) is not None:
            token.used = True  # "busiest paths", "самые шумные поды": the paths with the most lines
            self.group_at, self.group_typed_only = index, True
            return index + 1
        if (match := TOP_N.match(token.text)) is not None:
            self.top_size, self.group_at, self.group_typed_only = int(match.group(1)), index, True
            token.used = True
            return index + 1
        if previous is not None and previous.text in ("=", ":") and token.kind == "word":
            self.value(index, Value(token, "ident" if not token.text.isalpha() else "word", token.text))
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
        if self.cmp and (unit := BARE_UNIT.match(token.text)) is not None:  # "дольше часа", "over a minute"
            factor = unit_factor(unit.group(1).lower(), DURATION_UNITS) or 1.0
            value = Value(token, "duration", token.text, factor)
        if value is not None and value.type in ("number", "status") and self._money(index, value):
            return index + 2
        following = self.tokens[index + 1] if index + 1 < len(self.tokens) else None
        if value is not None and value.type == "word" and following is not None \
                and following.tag in ("gt", "gte", "lt", "lte"):
            return index + 1  # "logins taking more than 2 s": a verb before a comparison, not a value
        if value is not None:
            self.value(index, value)
        return index + 1

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
        if tag == "excl":
            self.scope, self.scope_used = True, False
        elif tag in ("gt", "gte", "lt", "lte"):
            self.cmp = "lte" if tag == "lte" and self.between else tag
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
        elif tag in ("group", "which", "top"):
            if self.scope and self.scope_used:
                self.scope = False  # "кроме Normal по деплойменту X": the exclusion ends where a new part begins
            following = self.tokens[index + token.span] if index + token.span < len(self.tokens) else None
            if tag == "group" and following is not None and following.low in COUNT_WORDS:
                following.used = True  # "по числу упавших задач": a count, not a grouping
                return index + token.span + 1
            if tag == "group" and self.ranked_at >= 0 and index == self.ranked_at + 1:
                return index + token.span  # "top 3 tenants by failed jobs": what ranks them, not a second grouping
            self.group_at, self.group_typed_only = index + token.span - 1, tag != "group"
            if tag == "which" and token.low in WHO and self._who(index + token.span):
                return index + token.span
            if tag == "top" and following is not None and following.kind == "num" and not following.unit:
                self.top_size = int(float(following.text))
                following.used = True
                self.group_at += 1
        elif tag == "sort":
            self.sort_next = True
        elif tag in ("asc", "desc"):
            self.r.sort_order = "asc" if tag == "asc" else "desc"
            following = self.tokens[index + token.span] if index + token.span < len(self.tokens) else None
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

    def _most_after(self, index: int) -> bool:
        """"with (the) most ...", "с наибольшим числом ...", unless a measure follows (then it is a sort)."""
        if index + 1 >= len(self.tokens) or self.tokens[index].low not in ("with", "having", "с", "со"):
            return False
        most = self.tokens[index + 1]
        if not ((most.tag == "noise" and "most" in (t.low for t in self.tokens[index + 1:index + 1 + most.span]))
                or most.low.startswith(("наибольш", "максимальн"))):
            return False
        after = index + 1 + most.span
        if after < len(self.tokens) and self.tokens[after].low in COUNT_WORDS | {"числом", "количеством"}:
            after += 1
        return not self._measure_follows(after)

    def _most_after_measure(self, index: int) -> bool:
        """A measure followed by "most" ("repeated the most", "повторялись чаще всего"): sorted on it."""
        following = lookahead(self.tokens, index - 1)
        if following is None or self.tokens[following].tag != "noise":
            return False
        words = {t.low for t in self.tokens[following:following + self.tokens[following].span]}
        return bool(words & {"most", "всего"})

    def _status_beside(self, index: int) -> bool:
        for position in (index - 1, index + 1):
            if 0 <= position < len(self.tokens):
                typed = typed_value(self.tokens[position], self.vocab)
                if typed is not None and typed.type in ("status", "status_class"):
                    return True
        return False

    def _measure_follows(self, index: int) -> bool:
        if index < len(self.tokens) and outcome_of(self.tokens[index].text) is not None:
            return False  # "the most timeouts": a count of outcomes, not a time measure
        mention = field_mention(self.tokens, index, self.vocab) if index < len(self.tokens) else None
        return mention is not None and mention[0].type in NUMERIC

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
        takes_value = next_value is not None and fits(next_value, info) and \
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
                self.ranked_at = index + span - 1 if self.group_typed_only else -1
                self.group_at, self.top_size, self.group_chain = -1, DEFAULT_TOP, index + span - 1
                return index + span
        self.pending, self.pending_at = info, index + span - 1
        self.mentions.append((self.tokens[index], info))
        if self.floating and all(fits(v, info) for v, _ in self.floating) and \
                (self._chained(index) or self._adjacent(index)):
            floating, self.floating = self.floating, []
            for value, exclude in floating:  # "curl or python-requests user agent", "3 or more attempts"
                self.place(value, info, exclude)
                self.joined = "or"
            self.joined = ""
        return index + span

    def object_kind(self, index: int, kind: str, kind_field: FieldInfo, name_field: FieldInfo | None) -> None:
        """"nodes", "подов" on Kubernetes events: the involved object's kind; a name after it is the object's."""
        token = self.tokens[index]
        token.used = True
        if not any(c.field == kind_field.name and c.value == kind for c in self.r.clauses):
            self.add(FieldClause(field=kind_field.name, op="term", value=kind, exclude=self.scope, words=token.text),
                     "word")
        if self.scope:
            self.scope_used = True
        self.joined = ""
        if name_field is None:
            return
        following = lookahead(self.tokens, index)
        named = following is not None and (typed := typed_value(self.tokens[following], self.vocab)) is not None \
            and typed.type in ("ident", "hostname") and fits(typed, name_field)
        if self.group_at >= 0 and index - self.group_at <= 3 and not named:  # "by node", "по нодам", "which nodes"
            self.r.aggs.append(LogAggregation(kind="top", field=name_field.name, size=self.top_size))
            self.r.understood.append(f"top {self.top_size} values of {name_field.name}")
            self.group_at, self.top_size = -1, DEFAULT_TOP
            return
        self.pending, self.pending_at = name_field, index

    def level(self, token: Token, level: str, *more: str) -> None:
        token.used = True
        info = self.vocab.first("level")
        values = list(dict.fromkeys(v for name in (level, *more) for v in level_values(info, name))) \
            if info is not None else []
        if info is None and level in ("warning", "normal"):
            info = self.vocab.fields.get("type")  # Kubernetes events: type Normal | Warning
            values = [level.capitalize()]
        if info is None:
            self.r.unplaced.append(token.text)
            return
        if self.last is not None and self.last.field == info.name and self.joined and self.last.op == "terms" \
                and self.last.exclude == self.scope:
            self.last.values = list(dict.fromkeys([*self.last.values, *values]))
            self.last.words += f" {token.text}"
        elif len(values) == 1:
            self.add(FieldClause(field=info.name, op="term", value=values[0], exclude=self.scope, words=token.text),
                     "level")
        else:
            self.add(FieldClause(field=info.name, op="terms", values=values, exclude=self.scope, words=token.text),
                     "level")
        if self.scope:
            self.scope_used = True
        self.joined = ""

    def _error_field(self, index: int) -> FieldInfo | None:
        """Without a level field, "error X" names the keyword field called error (its code X)."""
        if self.vocab.first("level") is not None or index + 1 >= len(self.tokens):
            return None
        code = typed_value(self.tokens[index + 1], self.vocab)
        if code is None or code.type != "ident":
            return None
        return next((f for f in self.vocab.fields.values() if f.type in EXACT and f.parts == ["error"]), None)

    @staticmethod
    def _more_levels(token: Token) -> list[str]:
        """"crit/alert/emerg": one token, several levels (only when every part is one)."""
        parts = token.text.split("/")
        found = [level_of(Token(token.start, token.end, part, "word")) for part in parts[1:]]
        return [f for f in found if f is not None] if len(parts) > 1 and all(found) else []

    def _who(self, index: int) -> bool:
        """"who deleted pods", "кто чаще всего патчит": a grouping on the user, unless a field is named next."""
        user = self.vocab.first("user")
        if user is None or any(field_mention(self.tokens, i, self.vocab) for i in range(index, index + 2)
                               if i < len(self.tokens)):
            return False
        name = agg_field(user, self.vocab)
        if name is None:
            return False
        self.r.aggs.append(LogAggregation(kind="top", field=name, size=self.top_size))
        self.r.understood.append(f"top {self.top_size} values of {name} (who)")
        self.group_at = -1
        return True

    def sort_by(self, sup: tuple[str | None, Literal["asc", "desc"]], token: Token) -> None:
        token.used = True
        kind, order = sup
        if kind is None:
            self.superlative = sup
            return
        if kind == "time":  # "самые старые сверху": the hits' own order
            self.r.oldest = order == "asc"
            self.r.understood.append(f'{"oldest" if self.r.oldest else "newest"} first ("{token.text}")')
            return
        measures = [f for k in dict.fromkeys((kind, FALLBACK_MEASURE.get(kind, kind))) for f in self.vocab.of_kind(k)
                    if f.type in NUMERIC]
        measure = self._named_measure(measures) or next(iter(measures), None)
        if measure is None:
            token.used = False
            return
        self.r.sort_field, self.r.sort_order = measure.name, order
        self.r.understood.append(f'sorted by {measure.name} {order} ("{token.text}")')

    def _named_measure(self, measures: list[FieldInfo]) -> FieldInfo | None:
        """Of several measures of the superlative's kind, the one the next words name a part of
        ("slowest upstream calls": upstream_ms, not total_ms; "largest responses": bytes_out)."""
        if len(measures) < 2:
            return None
        for token in self.tokens[self.at + 1:self.at + 3]:
            if token.kind != "word" or token.tag:
                break
            found = [f for f in measures if self.vocab.names_part(token.text, f)] or \
                [f for f in measures if direction_of(token.text) in f.parts]
            if len(found) == 1:
                token.used = True
                return found[0]
        return None
