"""Check a `_search` body against an index's mapping before anything is sent.

Every query, whether the rules or the LLM wrote it: only fields that exist, operators that fit the
field's type (term on exact values, range on numbers/dates/IPs, match on text, CIDR only on ip),
a size cap, and a time range on the time field always present. Errors are short sentences the
card can show ("unknown field 'statuz'").
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from typing import Any

from integrations.opensearch.mapping import AGGREGATABLE, DATE, EXACT, NUMERIC, IndexSchema

LEAVES = {"term", "terms", "range", "match", "match_phrase", "prefix", "exists", "wildcard"}
TEXTUAL = {"text", "match_only_text"}
# Which field types each operator may be used on.
ALLOWED: dict[str, set[str]] = {
    "term": EXACT | NUMERIC | {"ip", "boolean"},
    "terms": EXACT | NUMERIC | {"ip", "boolean"},
    "prefix": EXACT,
    "wildcard": EXACT,
    "range": NUMERIC | DATE | {"ip"},
    "match": TEXTUAL | EXACT | NUMERIC,
    "match_phrase": TEXTUAL | EXACT,
    "exists": EXACT | NUMERIC | DATE | TEXTUAL | {"ip", "boolean"},
}
AGGS = {"terms", "date_histogram", "histogram", "percentiles", "avg", "max", "min", "sum", "cardinality"}


_DATE_MATH = re.compile(r"^now(?:[+-]\d+[smhHdwMy])*(?:/[smhHdwMy])?$")


def _is_date(value: Any) -> bool:
    """Epoch milliseconds, date math ("now-1h", "now/d") or an ISO date, optionally anchored ("...||-1d")."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return True
    text = str(value)
    if _DATE_MATH.match(text):
        return True
    anchor, _, math = text.partition("||")
    try:
        datetime.fromisoformat(anchor.replace("Z", "+00:00"))
    except ValueError:
        return False
    return not math or _DATE_MATH.match("now" + math) is not None


def _check_value(op: str, kind: str, value: Any, name: str) -> str | None:
    if kind in DATE and op == "range" and not _is_date(value):
        return f"'{value}' is not a date for {name}"
    if kind == "ip" and op in ("term", "terms"):
        for item in value if isinstance(value, list) else [value]:
            try:
                ipaddress.ip_network(str(item), strict=False)
            except ValueError:
                return f"'{item}' is not an IP address or CIDR for {name}"
    if kind in NUMERIC and op in ("term", "terms"):
        for item in value if isinstance(value, list) else [value]:
            try:
                float(item)
            except (TypeError, ValueError):
                return f"'{item}' is not a number for {name}"
    return None


def _leaf(op: str, spec: Any, schema: IndexSchema, errors: list[str], ranges: list[str]) -> None:
    if not isinstance(spec, dict) or not spec:
        errors.append(f"{op}: expected an object")
        return
    if op == "exists":
        name, value = str(spec.get("field", "")), None
    else:
        if len(spec) != 1:
            errors.append(f"{op}: expected exactly one field")
            return
        (name, value), = spec.items()
    kind = schema.type_of(name)
    if kind is None:
        errors.append(f"unknown field '{name}'")
        return
    if kind not in ALLOWED[op]:
        errors.append(f"{op} cannot be used on '{name}' ({kind})")
        return
    if op == "range":
        if not isinstance(value, dict) or not {"gte", "gt", "lte", "lt"} & set(value):
            errors.append(f"range on '{name}': expected gte, gt, lte or lt")
            return
        for bound in ("gte", "gt", "lte", "lt"):
            if bound in value and (problem := _check_value("range" if kind in DATE else "term", kind, value[bound],
                                                           name)) is not None:
                errors.append(problem)
                return
        ranges.append(name)
    if op in ("term", "terms"):
        inner = value.get("value") if isinstance(value, dict) and op == "term" else value
        if (problem := _check_value(op, kind, inner, name)) is not None:
            errors.append(problem)


def _walk(query: Any, schema: IndexSchema, errors: list[str], ranges: list[str], top: bool = True) -> None:
    if not isinstance(query, dict) or len(query) != 1:
        errors.append("each query clause must be an object with one key")
        return
    (op, spec), = query.items()
    if op == "bool":
        if not isinstance(spec, dict):
            errors.append("bool: expected an object")
            return
        for occur, clauses in spec.items():
            if occur == "minimum_should_match":
                continue
            if occur not in ("filter", "must", "must_not", "should"):
                errors.append(f"bool: unknown occurrence '{occur}'")
                continue
            for clause in clauses if isinstance(clauses, list) else [clauses]:
                # A range under must_not/should does not bound the search in time.
                _walk(clause, schema, errors, ranges if occur in ("filter", "must") and top else [], top=False)
        return
    if op == "match_all":
        return
    if op not in LEAVES:
        errors.append(f"the clause '{op}' is not allowed")
        return
    _leaf(op, spec, schema, errors, ranges)


def _check_aggs(aggs: Any, schema: IndexSchema, errors: list[str]) -> None:
    if not isinstance(aggs, dict):
        errors.append("aggs: expected an object")
        return
    for name, agg in aggs.items():
        kinds = [k for k in agg if k != "aggs"] if isinstance(agg, dict) else []
        if len(kinds) != 1 or kinds[0] not in AGGS:
            errors.append(f"aggregation '{name}': not an allowed aggregation")
            continue
        kind = kinds[0]
        target = str((agg[kind] or {}).get("field", ""))
        field_type = schema.type_of(target)
        if field_type is None:
            errors.append(f"aggregation '{name}': unknown field '{target}'")
        elif kind in ("date_histogram",) and field_type not in DATE:
            errors.append(f"aggregation '{name}': '{target}' is not a date")
        elif kind in ("percentiles", "avg", "sum", "histogram") and field_type not in NUMERIC:
            errors.append(f"aggregation '{name}': '{target}' is not numeric ({field_type})")
        elif field_type not in AGGREGATABLE:
            errors.append(f"aggregation '{name}': '{target}' ({field_type}) cannot be aggregated")
        if "aggs" in agg:
            _check_aggs(agg["aggs"], schema, errors)


def validate_search(body: dict[str, Any], schema: IndexSchema, *, max_size: int) -> list[str]:
    """Every reason `body` must not be sent; empty when it is fine."""
    errors: list[str] = []
    allowed = {"query", "size", "sort", "aggs", "_source", "track_total_hits", "timeout"}
    errors += [f"the key '{k}' is not allowed in a search" for k in body if k not in allowed]
    size = body.get("size", 10)
    if not isinstance(size, int) or not 0 <= size <= max_size:
        errors.append(f"size must be between 0 and {max_size}")
    ranges: list[str] = []
    _walk(body.get("query", {"match_all": {}}), schema, errors, ranges)
    time_field = schema.time_field
    if time_field is None:
        errors.append("the index has no date field to bound the search in time")
    elif time_field not in ranges:
        errors.append(f"no time range on '{time_field}'")
    for item in body.get("sort", []):
        name = next(iter(item)) if isinstance(item, dict) else str(item)
        if schema.type_of(name) not in AGGREGATABLE:
            errors.append(f"cannot sort on '{name}'")
    if "aggs" in body:
        _check_aggs(body["aggs"], schema, errors)
    return errors
