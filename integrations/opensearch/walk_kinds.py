"""Words of a log question that stand for a value of a field the mapping only implies: levels (and the
event `type` Normal/Warning), Kubernetes object kinds on an event layout, "error X" as the layout's error
code, "who" as the user field. Part of the walk over the tokens (question_walk)."""

from __future__ import annotations

from integrations.opensearch.attach import Attaching
from integrations.opensearch.field_clauses import agg_field, field_mention, fits, level_values, levels_above
from integrations.opensearch.mapping import EXACT
from integrations.opensearch.question import FieldClause, LogAggregation
from integrations.opensearch.question_tokens import Token, lookahead
from integrations.opensearch.ranking import DEFAULT_TOP
from integrations.opensearch.typed_values import level_of, typed_value
from integrations.opensearch.value_words import event_type_field
from integrations.opensearch.vocabulary import FieldInfo, is_measure


class KindWords(Attaching):
    """Levels, object kinds, error codes and "who" as the walk meets them."""

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
            self.colon_ends(index + 1)
            self.group_at, self.top_size = -1, DEFAULT_TOP
            return
        self.pending, self.pending_at = name_field, index

    def level_step(self, index: int, token: Token, level: str) -> int:
        """A level word, with the levels above it when "and above"/"и выше" follows ("err and above")."""
        following = self.tokens[index + 1] if index + 1 < len(self.tokens) else None
        after = self.tokens[index + 1 + following.span] if following is not None and \
            index + 1 + following.span < len(self.tokens) else None
        info = self.vocab.first("level")
        if following is not None and following.tag == "post_gte" and info is not None and \
                (following.text != "+" or after is None or level_of(after) is None):
            for other in self.tokens[index + 1:index + 1 + following.span]:
                other.used = True
            self.level(token, level, *levels_above(info, level))
            return index + 1 + following.span
        self.level(token, level, *self._more_levels(token))
        return index + 1

    def level(self, token: Token, level: str, *more: str) -> None:
        token.used = True
        info = self.vocab.first("level")
        values = list(dict.fromkeys(v for name in (level, *more) for v in level_values(info, name))) \
            if info is not None else []
        if info is None and level in ("warning", "normal"):
            info = event_type_field(self.vocab)  # Kubernetes events: type Normal | Warning
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
        """"error X" names the keyword field called error (its code X) where there is no level field, and an
        error-code field where X is a code ("ошибка 40P01", "error E1102")."""
        if index + 1 >= len(self.tokens):
            return None
        code = typed_value(self.tokens[index + 1], self.vocab)
        if code is None or code.type != "ident":
            return None
        if self.vocab.first("level") is None:
            return next((f for f in self.vocab.fields.values() if f.type in EXACT and f.parts == ["error"]), None)
        if not any(ch.isdigit() for ch in code.text) or not code.text.isalnum():
            return None
        return next((f for f in self.vocab.fields.values() if f.type in EXACT and f.parts[-2:] == ["error", "code"]),
                    None)

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

    def _status_beside(self, index: int) -> bool:
        """"5xx errors"; "AccessDenied errors", "ошибки NoSuchKey" where there are no levels: the code says which."""
        saying = ("status", "status_class") + (("camel", "exception") if self.vocab.first("level") is None else ())
        beside = [typed_value(self.tokens[at], self.vocab) for at in (index - 1, index + 1)
                  if 0 <= at < len(self.tokens)]
        return any(typed is not None and typed.type in saying for typed in beside)

    def grouped_noun(self, index: int) -> None:
        """A field named with no value right before "by"/"по" is counted too, first ("классы ошибок по
        очередям", "status codes by host": two terms aggregations in the order named)."""
        info = self.pending
        if info is None or self.pending_at != index - 1 or not self.mentions or self.mentions[-1][1] is not info \
                or is_measure(info) or any(c.field.removesuffix(".keyword") == info.name for c in self.r.clauses):
            return
        name = agg_field(info, self.vocab)
        if name is None or any(a.field == name for a in self.r.aggs):
            return
        if self.last is not None and self.last_at == self.tokens.index(self.mentions[-1][0]) - 1:
            return  # "failed logins per method": the noun of a value ("failed") is what is counted
        self.mentions.pop()
        self.pending = None
        self.r.aggs.append(LogAggregation(kind="top", field=name, size=self.top_size))
        self.r.understood.append(f"top {self.top_size} values of {name}")
