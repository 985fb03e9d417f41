"""Attaching typed values to fields as the walk over a question meets them: the field named next to a
value (before or after it), the host after "on"/"на", values chained by "or"/","/"и" onto one field,
free text after "containing"; the walk's state lives here too (question_walk reads the words)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from integrations.opensearch.field_clauses import (
    INFERRED_KIND,
    clause_for,
    field_mention,
    fits,
    infer_field,
    message_field,
)
from integrations.opensearch.mapping import EXACT, NUMERIC, IndexSchema
from integrations.opensearch.question import FieldClause, LogAggregation, Scalar
from integrations.opensearch.question_tokens import Token, lookahead, tokens_joined
from integrations.opensearch.question_words import (
    BOUNDARY,
    FILLER,
    GLUE,
    INSIDE,
    LOCATIVE,
    SERVICE_SUFFIXES,
    TOWARD,
    VIA,
)
from integrations.opensearch.ranking import DEFAULT_TOP
from integrations.opensearch.typed_values import (
    Value,
    family_of,
    typed_value,
)
from integrations.opensearch.value_words import (
    weak_outcome,
)
from integrations.opensearch.vocabulary import TEXTUAL, FieldInfo, Vocabulary, directed, direction_of

# Field names of what holds log lines, that "in X" names where a layout has no namespace.
# Values a text field named after them holds ("aws-cli in the user agent").
HELD_TYPES = ("quoted", "ident", "hostname", "client", "agent", "exception", "camel")
CONTAINERS = (["queue"], ["topic"], ["channel"], ["bucket"], ["container"], ["index"], ["database"], ["keyspace"])


@dataclass
class Reader:
    question: str
    vocab: Vocabulary
    schema: IndexSchema
    tokens: list[Token] = field(default_factory=list)
    clauses: list[FieldClause] = field(default_factory=list)
    any_of: list[list[FieldClause]] = field(default_factory=list)
    aggs: list[LogAggregation] = field(default_factory=list)
    understood: list[str] = field(default_factory=list)
    sort_field: str | None = None
    sort_order: Literal["asc", "desc"] = "desc"
    oldest: bool = False
    unplaced: list[str] = field(default_factory=list)
    as_text: list[FieldClause] = field(default_factory=list)  # identifiers no field was named for
    guesses: list[FieldClause] = field(default_factory=list)  # clauses from the weakest rules (the LLM may redo)


class Attaching:
    """The walk's state (exclusion scope, comparison, pending field, values waiting for a field) and
    how a value finds its field."""

    def __init__(self, reader: Reader, tokens: list[Token]) -> None:
        self.r, self.tokens, self.vocab = reader, tokens, reader.vocab
        self.scope = False
        self.scope_used = False
        self.cmp = ""
        self.mode = ""
        self.pending: FieldInfo | None = None
        self.pending_at = -1
        self.group_at = -1
        self.group_typed_only = False
        self.group_chain = -1
        self.top_size = DEFAULT_TOP
        self.sort_next = False
        self.superlative: tuple[str | None, Literal["asc", "desc"]] | None = None
        self.last: FieldClause | None = None
        self.last_type = ""
        self.last_at = -1
        self.at = 0
        self.joined = ""  # "or"/"conn" seen since the last clause
        self.between = False
        self.number: Scalar | None = None
        self.floating: list[tuple[Value, bool]] = []  # values with no field yet (a chain joined by "or"/","/"и")
        self.stranded: list[tuple[Value, bool]] = []  # floating values a later one displaced (see walk_leftovers)
        self.mentions: list[tuple[Token, FieldInfo]] = []
        self.ranked_at = -1  # the field of the last "top N X" / "which X" grouping
        self.weak: list[FieldClause] = []  # outcomes read from a verb ("падает"), dropped for a named value
        self.guessing = False  # the value's field came from a weak rule: its clause is a guess
        self.naming = False  # the value's field was named right before it ("users postgres")
        self.last_named = False  # and so was the last clause's: a list after it goes there too

    def _numbered(self, index: int, value: Value) -> Value:
        """A bare number: "5+" / "5 or more" is a bound; "between 1 and 2 seconds" takes the second's unit."""
        following = self.tokens[index + 1] if index + 1 < len(self.tokens) else None
        if following is not None and following.tag in ("post_gte", "post_lte") and not self.cmp:
            self.cmp = "gte" if following.tag == "post_gte" else "lte"
            following.used = True
        ahead = self.tokens[index + 1:index + 4]
        if self.between or (self.cmp == "gte" and any(t.low in ("до", "to", "-", "–") for t in ahead)):
            self.between = True  # "от 1 до 5 секунд"
            unit = next((t for t in ahead if t.kind == "num" and t.unit), None)
            if unit is not None:
                typed = typed_value(Token(value.token.start, value.token.end, value.token.text, "num", unit=unit.unit),
                               self.vocab)
                if typed is not None:
                    return Value(value.token, typed.type, typed.text, typed.number)
        return value

    def _counted(self, index: int, value: Value) -> Value:
        """"more than 50k rows": k and m after a count are thousands and millions, not kilo- and megabytes."""
        if value.type != "size" or value.token.unit not in ("k", "m"):
            return value
        named = field_mention(self.tokens, index + 1, self.vocab)
        counts = [info for info in (named[0] if named else None, self.pending) if info is not None
                  and info.type in NUMERIC and info.kind not in ("bytes", "duration")]
        if not counts:
            return value
        factor = 1000.0 if value.token.unit == "k" else 1_000_000.0
        return Value(value.token, "number", value.token.text, float(value.token.text.replace(",", ".")) * factor)

    def value(self, index: int, value: Value) -> None:
        value = self._counted(index, value)
        if value.type == "number":
            value = self._numbered(index, value)
        target = self.target(index, value)
        if target is None:
            if not self._chained(index):
                self.stranded, self.floating = [*self.stranded, *self.floating], []
            value.cmp = self.cmp
            self.floating.append((value, self.scope))
            self.cmp, self.mode = ("lte" if self.between and self.cmp == "gte" else ""), ""
            return
        self.place(value, target, self.scope)

    def place(self, value: Value, target: FieldInfo, exclude: bool) -> None:
        value.token.used = True
        clause = clause_for(value, target, self.vocab, value.cmp or self.cmp, self.mode, exclude)
        if self.guessing:
            self.r.guesses.append(clause)
            self.guessing = False
        last = self.last
        if clause.op == "range" and self.between and last is not None and last.op == "range" \
                and last.field == clause.field and self.cmp == "lte":
            last.lte, self.between = clause.lte, False
            last.words += f" … {value.token.text}"
        elif not self.merge(clause, value.type):
            self.add(clause, value.type)
            self.last_named = self.naming
            if value.type == "outcome" and weak_outcome(value.token.text):
                self.weak.append(clause)
        self.naming = False
        if self.between and self.cmp == "gte":
            self.cmp = "lte"
        else:
            self.cmp = ""
        self.mode = ""
        if exclude:
            self.scope_used = True
        self.joined = ""
        self.number = clause.value if isinstance(clause.value, int | float) else clause.gte or clause.gt
        if self.floating and all(fits(v, target) and family_of(v.type) == family_of(value.type)
                                 for v, _ in self.floating) and self._chained(self.tokens.index(value.token)):
            floating, self.floating = self.floating, []
            for other, other_exclude in floating:  # "postfix/anvil, postfix/scache и dovecot"
                self.joined = "or" if any(t.tag == "or" for t in self.tokens[self.tokens.index(other.token):
                                                                               self.tokens.index(value.token)]) \
                    else "conn"
                self.place(other, target, other_exclude)

    def _adjacent(self, index: int) -> bool:
        """One floating number right before the field, with only words already read between ("3 or more")."""
        if len(self.floating) != 1 or self.floating[0][0].type != "number":
            return False
        first = self.tokens.index(self.floating[0][0].token)
        return index - first <= 4 and all(t.used or t.tag == "cont" for t in self.tokens[first + 1:index])

    def _chained(self, index: int) -> bool:
        """Whether the floating values run up to this token joined only by "or", ",", "и" and the like."""
        if not self.floating:
            return False
        return tokens_joined(self.tokens, self.tokens.index(self.floating[-1][0].token), index)

    def target(self, index: int, value: Value) -> FieldInfo | None:
        if value.type in HELD_TYPES and (held := self._held_in(index)) is not None:
            return held  # "aws-cli in the user agent", '"deadlock" or "timeout" in the stack trace'
        pending = self.pending
        if value.type == "quoted" and not (pending is not None and pending.type in TEXTUAL
                                           and index - self.pending_at <= 2):  # "error message "...": errMsg
            last = self.last
            if last is not None and self.joined and self.last_type == "quoted":
                return self.vocab.fields.get(last.field.removesuffix(".keyword"))
            return message_field(self.vocab)
        if pending is not None and index - self.pending_at <= 5 and fits(value, pending) and \
                not (pending.kind == "message" and value.type != "quoted"):
            between = self.tokens[self.pending_at + 1:index]
            allowed = ("gt", "gte", "lt", "lte", "prefix", "suffix", "cont", "between", "excl")
            if all(t.tag in allowed or t.low in GLUE or t.low in FILLER for t in between):
                self.naming = True
                return pending
        last = self.last
        last_info = self.vocab.fields.get(last.field.removesuffix(".keyword")) if last is not None else None
        if last_info is not None and self.joined and self.last_type == value.type and value.type != "quoted" and \
                fits(value, last_info) and tokens_joined(self.tokens, self.last_at, index):
            return last_info  # "контейнеров nginx и envoy": a second value of the same type, the same field
        named = self._measure_named(value)
        inferred = named or (infer_field(value, self.vocab) if value.type not in ("word", "ident", "number") else None)
        if inferred is not None and value.type not in ("quoted", "exception"):
            # Of several measures the question named none of, the generic one is a guess ("дольше 5 сек").
            self.guessing = named is None and value.type in ("duration", "size") and sum(
                fits(value, f) for f in self.vocab.of_kind(INFERRED_KIND[value.type])) > 1
            return inferred  # "stderr of app=cart": a stream, whatever field is named next
        following = lookahead(self.tokens, index)
        # "the payments namespace" names a value before its field; "busiest paths", "шумные поды" do not
        # (an adjective before a plural or a Russian noun): plain words only before one English singular.
        head = self.tokens[following] if following is not None else None
        if following is not None and head is not None and following - index <= 2 and head.tag == "" and \
                (value.type != "word" or (value.text.isascii() and head.text.isascii()
                                          and (not head.low.endswith("s") or value.text.isupper()))):
            mention = field_mention(self.tokens, following, self.vocab)
            after = lookahead(self.tokens, following + mention[1] - 1) if mention is not None else None
            owned = after is not None and (own := typed_value(self.tokens[after], self.vocab)) is not None and \
                mention is not None and (own.type != "word" or self.tokens[after - 1].text in ("=", ":")) and \
                fits(own, mention[0])
            if mention is not None and fits(value, mention[0]) and mention[0].kind != "message" and not owned:
                for token in self.tokens[following:following + mention[1]]:
                    token.used = True
                self.pending, self.pending_at = mention[0], following + mention[1] - 1
                return mention[0]
        if last_info is not None and self.joined and fits(value, last_info) and \
                tokens_joined(self.tokens, self.last_at, index) and (self.last_named or (
                    family_of(value.type) == family_of(self.last_type)
                    and (value.type != "word" or self.last_type in ("word", "ident", "outcome")))):
            return last_info  # "users postgres, replicator and pg_monitor", "кодами 40P01 или 40001": the field named
        if value.type == "ident" and (service := self._service_named(value)) is not None:
            return service  # "order-service requests", "у refund-worker": the service, not a host or text
        if value.type == "ident" and (named := self._self_named(value)) is not None:
            self.guessing = True
            return named
        if value.type in ("word", "ident", "hostname"):  # "in invoices.created": a dotted name, no host field
            return self._located(index, value)
        if value.type == "number" and not self.cmp:
            return None
        return infer_field(value, self.vocab)

    def _held_in(self, index: int) -> FieldInfo | None:
        """A text field named after the value (and the values "or" joins to it) and "in": the field holding it."""
        at = index + 1
        while at < len(self.tokens) and (self.tokens[at].tag in ("or", "conn") or self.tokens[at].kind == "quoted"):
            at += 1
        if at >= len(self.tokens) or self.tokens[at].low not in INSIDE:
            return None
        at += 1
        while at < len(self.tokens) and self.tokens[at].low in ("the", "a"):
            at += 1
        mention = field_mention(self.tokens, at, self.vocab) if at < len(self.tokens) else None
        if mention is None or mention[0].type not in TEXTUAL:
            return None
        for token in self.tokens[at:at + mention[1]]:
            token.used = True
        return mention[0]

    def _measure_named(self, value: Value) -> FieldInfo | None:
        """A duration or size whose named field cannot hold it goes to the measure that shares the name
        ("апстрим отвечал не меньше 1.5 с": the upstream's response time, not the request's)."""
        if value.type not in ("duration", "size"):
            return None
        measures = [f for f in self.vocab.of_kind(INFERRED_KIND[value.type]) if fits(value, f)]
        # The last two fields named ("ожидание в очереди больше 2 минут": the wait, not the queue).
        for mention in self.mentions[-2:][::-1]:
            found = next((f for f in measures if self.vocab.names_part(mention[0].text, f)), None)
            if found is not None:
                self.mentions.remove(mention)  # the word was understood: it named this measure
                return found
        # A pair of measures by direction (bytes_in / bytes_out): "ответы больше 1 МБ" is what goes out.
        directions = {d for t in self.tokens if (d := direction_of(t.text)) is not None}
        paired = [f for f in measures if any(directed(f, d) for d in directions)]
        return paired[0] if len(measures) > 1 and len(directions) == 1 and len(paired) == 1 else None

    def _self_named(self, value: Value) -> FieldInfo | None:
        """An identifier whose last hyphenated part names one field is a value of it ("billing-consumer":
        `consumer`, "ledger-worker" on a `worker` field)."""
        last = value.text.rsplit("-", 1)[-1]
        if last == value.text or not last.isalpha() or len(last) < 3:
            return None
        found = [f for f in self.vocab.fields.values() if f.type in EXACT and f.parts[-1:] == [last.lower()]
                 and fits(value, f)]
        return found[0] if len(found) == 1 else None

    def _container(self) -> FieldInfo | None:
        """The field naming what holds the lines: a queue, a topic, a bucket."""
        return next((f for f in self.vocab.fields.values() if f.type in EXACT and f.parts[-1:] in CONTAINERS), None)

    def _service_named(self, value: Value) -> FieldInfo | None:
        """An identifier whose last hyphenated part is a service-ish word names a service (`app`, `service.name`);
        not the component that reported an event (`source.component`: kubelet), which is no service of the lines."""
        head, _, last = value.text.rpartition("-")
        service = self.vocab.first("service")
        if not head or last.lower() not in SERVICE_SUFFIXES or service is None or not fits(value, service) or \
                {"source", "reporting"} & set(service.parts):
            return None
        return service

    def _located(self, index: int, value: Value) -> FieldInfo | None:
        """An identifier right after "on"/"from"/"на"/"с" is where the lines come from: a host; a name
        after "via"/"через" is the gateway it went through."""
        for position in range(index - 1, max(-1, index - 3), -1):
            token = self.tokens[position]
            if token.low in VIA:  # the gateway, else a non-HTTP method or channel ("через sms": mfa_method)
                found = [self.vocab.first("gateway")] + [f for f in self.vocab.of_kind("method")
                                                         if "http" not in f.parts]
                return next((f for f in found if f is not None and fits(value, f)), None)
            if token.low in INSIDE and value.type in ("ident", "word", "hostname") and value.text.isascii():
                # "in checkout", "в prod-payments": a namespace; where there is none, what holds the lines
                # ("in invoices.created": the queue, the topic)
                inside = self.vocab.first("namespace")
                if inside is None:
                    inside = self._container()
                    self.guessing = inside is not None and fits(value, inside)
                return inside if inside is not None and fits(value, inside) else None
            if token.low in LOCATIVE and value.type == "ident":  # where from: a host, else the service
                source = self.vocab.first("host") or self.vocab.first("service")
                self.guessing = token.low == "у"  # "у app_rw": whose, as often as where
                if source is None:  # "on media-prod", "из static-eu": what holds the lines (a bucket, a queue)
                    source = self._container()
                    self.guessing = source is not None
                return source if source is not None and fits(value, source) else None
            if token.low in TOWARD and value.type == "ident":  # "PUTs to backups-eu": into a bucket, a queue
                into = self._container()
                self.guessing = into is not None
                return into if into is not None and fits(value, into) else None
            if token.kind != "word" or token.tag or token.low not in FILLER:
                return None  # "с ошибкой X": a noun between says X is something else's
        return None

    def merge(self, clause: FieldClause, value_type: str) -> bool:
        last = self.last
        if last is None or not self.joined or last.field != clause.field or last.exclude != clause.exclude:
            return False
        if clause.op == "term" and last.op in ("term", "terms"):
            values = last.values if last.op == "terms" else [last.value] if last.value is not None else []
            last.op, last.values, last.value = "terms", [*values, clause.value or ""], None
            last.words += f" {self.joined} {clause.words}"
            self.last_at = self.at
            return True
        textual = ("phrase", "match", "wildcard", "prefix")
        if self.joined == "or" and not clause.exclude and clause.op in textual and last.op in textual \
                and last in self.r.clauses:
            self.r.clauses.remove(last)
            self.r.any_of.append([last, clause])
            return True
        if self.joined == "or" and not clause.exclude:
            group = next((g for g in self.r.any_of if last in g), None)
            if group is not None:
                group.append(clause)
                self.last = clause
                return True
        return False

    def colon_ends(self, index: int) -> None:
        """A colon after a grouping ends it ("split by container: stderr"), it does not give it a value."""
        if index < len(self.tokens) and self.tokens[index].text == ":":
            self.tokens[index].tag = "boundary"

    def add(self, clause: FieldClause, value_type: str, at: int = -1) -> None:
        self.r.clauses.append(clause)
        self.last, self.last_type, self.last_at = clause, value_type, self.at

    def contain(self, index: int) -> int:
        """Free text after "containing"/"с текстом": a quoted phrase, or the words up to a boundary."""
        words: list[Token] = []
        position = index
        while position < len(self.tokens) and self.tokens[position].tag == "contain":
            self.tokens[position].used = True  # "msg contains timeout": one word says it, the next repeats it
            position += self.tokens[position].span
        while position < len(self.tokens) and len(words) < 6:
            token = self.tokens[position]
            if token.kind == "quoted":
                if not words:
                    words.append(token)
                    position += 1
                break
            if token.used or token.tag in ("excl", "or", "conn", "group", "sort") or token.low in BOUNDARY \
                    or token.kind == "punct":
                break
            words.append(token)
            position += 1
        if not words:
            return index
        text = words[0].text[1:-1] if words[0].kind == "quoted" else " ".join(t.text for t in words)
        pending = self.pending
        target = pending if pending is not None and pending.type in EXACT | TEXTUAL and pending.kind != "message" \
            and index - self.pending_at <= 2 else message_field(self.vocab)
        if target is None:
            self.r.unplaced.append(text)
            return position
        for token in words:
            token.used = True
        clause = clause_for(Value(words[0], "quoted", text), target, self.vocab, "", "contain", self.scope)
        clause.words = text
        if not self.merge(clause, "quoted"):
            self.add(clause, "quoted")
        self.joined = ""
        if self.scope:
            self.scope_used = True
        return position
