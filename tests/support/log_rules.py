"""Helpers of the /logs rule tests (one file per round): a question parsed against a mapping's fields at
the fixed NOW, and the clauses it gave as comparable facts."""

from __future__ import annotations

from typing import Any

from integrations.opensearch.mapping import IndexSchema
from integrations.opensearch.question_parser import LogQuestion, parse
from tests.support.log_scoring import NOW


def parse_on(question: str, pattern: str, fields: dict[str, str]) -> LogQuestion:
    return parse(question, now=NOW, schema=IndexSchema(pattern=pattern, fields=fields))


def facts(result: Any) -> set[tuple[Any, ...]]:
    """Each clause as (field, op, value or values, exclude, bounds)."""
    return {(c.field, c.op, c.value if c.op != "terms" else tuple(c.values), c.exclude,
             tuple((k, getattr(c, k)) for k in ("gte", "gt", "lte", "lt") if getattr(c, k) is not None))
            for c in result.clauses}
