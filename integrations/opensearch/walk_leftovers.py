"""Values the walk over a log question found no field for, settled once it is over.

In order: a field the question named without giving it a value takes a value that fits it ("критические
на серверах, кроме web-1": the host); a word that is a name part of exactly one identity field names it
("events for object web-6c9f-2kq": `involvedObject.name`); an identifier-like value left over (hyphens,
digits, dots, underscores, a path) is looked for as text in the message field (a `match_phrase`: the
analyzer cuts "req-8812abc" in two), and the card says it was matched as text. Plain words are never
guessed: they stay listed as not understood. Part of the walk (question_walk)."""

from __future__ import annotations

import re

from integrations.opensearch.attach import Attaching
from integrations.opensearch.field_clauses import fits, message_field
from integrations.opensearch.mapping import EXACT
from integrations.opensearch.question import FieldClause
from integrations.opensearch.question_words import GLUE
from integrations.opensearch.typed_values import Value
from integrations.opensearch.vocabulary import FieldInfo, is_identity

# Value types that look like an identifier only the data knows (typed_values).
IDENT_LIKE = ("ident", "hostname", "path")
# A date the time words did not take ("29.11.2026") is no text to look for.
_DATE = re.compile(r"^\d{1,2}[./]\d{1,2}[./]\d{2,4}$|^\d{4}-\d{2}-\d{2}")


class Leftovers(Attaching):
    """Settling the values still without a field when the walk ends."""

    def settle(self) -> None:
        waiting = [(v, exclude) for v, exclude in [*self.stranded, *self.floating] if not v.token.used]
        self.stranded, self.floating = [], []
        for value, exclude in waiting:
            if value.type not in IDENT_LIKE or "*" in value.text or _DATE.match(value.text):  # nor is a pattern
                continue
            self.cmp, self.mode, self.joined, self.between = value.cmp, "", "", False
            target = self._mentioned(value) or self._part_named(value)
            if target is not None:
                self.guessing = True
                self.place(value, target, exclude)
                continue
            message = message_field(self.vocab)
            if message is None:
                continue
            value.token.used = True
            # A phrase: the analyzer cuts "req-8812abc" in two, and both must stand together.
            clause = FieldClause(field=message.name, op="phrase", value=value.text, exclude=exclude,
                                 words=value.token.text)
            self.r.clauses.append(clause)
            self.r.as_text.append(clause)
            self.r.guesses.append(clause)

    def _mentioned(self, value: Value) -> FieldInfo | None:
        """The nearest field named without a value of its own that the value fits."""
        taken = {c.field.removesuffix(".keyword") for c in self.r.clauses}
        at = self.tokens.index(value.token)
        found = [(abs(self.tokens.index(token) - at), info) for token, info in self.mentions
                 if info.name not in taken and info.kind != "message" and info.type in EXACT and fits(value, info)]
        return min(found, key=lambda pair: pair[0])[1] if found else None

    def _part_named(self, value: Value) -> FieldInfo | None:
        """The word before the value ("object", "source") is a name part of one identity field it fits."""
        at = self.tokens.index(value.token) - 1
        while at >= 0 and self.tokens[at].low in GLUE:
            at -= 1
        word = self.tokens[at] if at >= 0 else None
        if word is None or word.used or word.tag or word.kind != "word" or not word.text.isalpha():
            return None
        found = [f for f in self.vocab.fields.values() if f.type in EXACT and is_identity(f)
                 and self.vocab.names_part(word.text, f) and fits(value, f)]
        if len(found) != 1:
            return None
        word.used = True
        return found[0]
