"""Sorting in a log question: superlatives ("slowest", "самые большие") on the measure of their kind,
"most ..." before or after a measure, and which of several measures the next words name. Part of the
walk over the tokens (question_walk)."""

from __future__ import annotations

from typing import Literal

from integrations.opensearch.attach import Attaching
from integrations.opensearch.field_clauses import field_mention
from integrations.opensearch.mapping import NUMERIC
from integrations.opensearch.question_tokens import Token, lookahead
from integrations.opensearch.ranking import COUNT_WORDS, FALLBACK_MEASURE
from integrations.opensearch.value_words import outcome_of
from integrations.opensearch.vocabulary import FieldInfo, directed, direction_of

# Superlatives that rank by count when a count word follows ("the highest number of errors").
COUNT_SUPERLATIVES = ("highest", "largest", "biggest", "greatest")


class Sorting(Attaching):
    """The sort a question asks for, as the walk meets its words."""

    def _most_after(self, index: int) -> bool:
        """"with (the) most ...", "с наибольшим числом ...", unless a measure follows (then it is a sort)."""
        if index + 1 >= len(self.tokens) or self.tokens[index].low not in ("with", "having", "с", "со"):
            return False
        article = self.tokens[index + 1].low in ("the", "a") and not self.tokens[index + 1].tag
        at = index + 1 + (article and index + 2 < len(self.tokens))
        most = self.tokens[at]
        after = at + most.span
        counted = after < len(self.tokens) and (self.tokens[after].low in COUNT_WORDS | {"числом", "количеством"}
                                                 or self.tokens[after].tag == "noise")
        if not ((most.tag == "noise" and "most" in (t.low for t in self.tokens[at:after]))
                or most.low.startswith(("наибольш", "максимальн")) or (most.low in COUNT_SUPERLATIVES and counted)):
            return False
        if counted:
            after += self.tokens[after].span
        if self._measure_follows(after):
            return False
        for token in self.tokens[at:after]:
            token.used = True  # "with the highest number of": the grouping ranks by count
        return True

    def _most_after_measure(self, index: int) -> bool:
        """A measure followed by "most" ("repeated the most", "повторялись чаще всего"): sorted on it."""
        following = lookahead(self.tokens, index - 1)
        if following is None or self.tokens[following].tag != "noise":
            return False
        words = {t.low for t in self.tokens[following:following + self.tokens[following].span]}
        return bool(words & {"most", "всего"})

    def _measure_follows(self, index: int) -> bool:
        if index < len(self.tokens) and outcome_of(self.tokens[index].text) is not None:
            return False  # "the most timeouts": a count of outcomes, not a time measure
        mention = field_mention(self.tokens, index, self.vocab) if index < len(self.tokens) else None
        return mention is not None and mention[0].type in NUMERIC

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
                [f for f in measures if directed(f, direction_of(token.text))]
            if len(found) == 1:
                token.used = True
                return found[0]
        return None
