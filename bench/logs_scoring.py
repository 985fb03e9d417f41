"""The /logs bench's scorer: tests.support.log_scoring (shared with the unit tests of the round-2 phrasings)."""

from tests.support.log_scoring import NOW, BenchCase, Expect, case_items, date_math, score

__all__ = ["NOW", "BenchCase", "Expect", "case_items", "date_math", "score"]
