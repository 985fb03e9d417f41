"""A range on the time field takes only dates: epoch millis, date math or ISO (a broken LLM clause is refused)."""

from __future__ import annotations

import pytest

from integrations.opensearch.mapping import IndexSchema
from integrations.opensearch.validate import validate_search

SCHEMA = IndexSchema(pattern="shop", fields={"time": "date", "svc": "keyword"})


def body(bounds: dict[str, object]) -> dict[str, object]:
    return {"query": {"bool": {"filter": [{"range": {"time": bounds}}]}}, "size": 10}


@pytest.mark.parametrize("bounds", [{"gte": "now-1h"}, {"gte": "now/d"}, {"gte": "2026-11-30T00:00:00Z"},
                                    {"gte": "2026-11-30||-1d", "lt": "now"}, {"gte": 1764460800000}])
def test_dates_are_accepted(bounds: dict[str, object]) -> None:
    assert validate_search(body(bounds), SCHEMA, max_size=100) == []


@pytest.mark.parametrize("bounds", [{"gte": "a", "lte": "z"}, {"gte": "yesterday"}, {"gte": "now-1x"}])
def test_anything_else_is_refused(bounds: dict[str, object]) -> None:
    assert any("is not a date" in error for error in validate_search(body(bounds), SCHEMA, max_size=100))
