"""Scoring a /logs translation on the query's meaning against a case of bench/cases/logs/*.yaml or
tests/data/logs_round2/*.yaml.

Equivalent forms are the same: term vs terms of one value; prefix `x` vs wildcard `x*`; phrase vs
match for a single word; integer range bounds (gt 499 = gte 500 on an integer field); a `.keyword`
sub-field vs its parent; a must_not terms list vs one must_not per value; an any_of group of single
values on one field vs a terms clause; level spellings (warn/warning, err/error). Values compare
case-insensitively. Anything else extra (a filter that changes meaning) or missing is wrong.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, field_validator

from integrations.opensearch.vocabulary import name_parts

NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
INTEGER = {"long", "integer", "short", "byte", "unsigned_long"}
LEVEL_SPELLINGS = {"warn": "warning", "err": "error", "crit": "critical", "emerg": "emergency"}
Norm = tuple[Any, ...]


class Expect(BaseModel):
    window: dict[str, str] | None = None
    must: list[dict[str, Any]] = Field(default_factory=list)
    must_not: list[dict[str, Any]] = Field(default_factory=list)
    any_of: list[list[dict[str, Any]]] = Field(default_factory=list)
    aggs: list[dict[str, Any]] = Field(default_factory=list)
    sort: dict[str, str] | None = None
    unsupported: list[str] = Field(default_factory=list)

    @field_validator("sort", mode="before")
    @classmethod
    def _first_key(cls, value: Any) -> Any:
        """Round 3 writes the sort as a list of keys; the first is the one that orders the hits."""
        return value[0] if isinstance(value, list) and value else value


class BenchCase(BaseModel):
    id: str
    mapping: str
    lang: str
    category: str
    question: str
    expect: Expect


def case_items(data: Any) -> list[Any]:
    """The cases of a YAML case file: a list, or a mapping with a `cases` list (round 3)."""
    return list(data["cases"]) if isinstance(data, dict) else list(data)


def date_math(text: str, now: datetime = NOW) -> datetime:
    """`now-1h`, `now-7d`, `now/d`, or an ISO timestamp."""
    if not text.startswith("now"):
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    moment, rest = now, text[3:]
    for sign, amount, unit in re.findall(r"([+-])(\d+)([smhdwM])", rest):
        seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "M": 2592000}[unit] * int(amount)
        moment += timedelta(seconds=seconds if sign == "+" else -seconds)
    if rest.endswith("/d"):
        moment = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment


def _base(name: str) -> str:
    return name.removesuffix(".keyword")


def _value(value: Any, field: str, levels: set[str]) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    text = str(value).lower()
    try:
        return float(text)
    except ValueError:
        pass
    return LEVEL_SPELLINGS.get(text, text) if field in levels else text


def _bound(value: Any) -> float:
    """A range bound: a number, or a date (ISO or date math) as its timestamp."""
    try:
        return float(value)
    except ValueError:
        return date_math(str(value)).timestamp()


def _range(field: str, bounds: dict[str, Any], types: dict[str, str]) -> Norm:
    lower, lower_strict = (bounds["gt"], True) if bounds.get("gt") is not None else (bounds.get("gte"), False)
    upper, upper_strict = (bounds["lt"], True) if bounds.get("lt") is not None else (bounds.get("lte"), False)
    lower = _bound(lower) if lower is not None else None
    upper = _bound(upper) if upper is not None else None
    if types.get(field) in INTEGER:  # gt 499 == gte 500 on whole numbers
        if lower is not None and lower_strict:
            lower, lower_strict = (lower + 1 if lower == int(lower) else float(int(lower) + 1)), False
        if upper is not None and upper_strict:
            upper, upper_strict = (upper - 1 if upper == int(upper) else float(int(upper))), False
    return ("range", field, lower, lower_strict, upper, upper_strict)


def _norms(field: str, op: str, values: list[Any], types: dict[str, str], levels: set[str]) -> Norm:
    values = [_value(v, field, levels) for v in values]
    if op in ("prefix",):
        return ("prefix", field, values[0])
    if op == "wildcard":
        pattern = str(values[0])
        if pattern.endswith("*") and "*" not in pattern[:-1] and "?" not in pattern:
            return ("prefix", field, pattern[:-1])
        return ("wildcard", field, pattern)
    if op in ("match", "phrase", "match_phrase") and isinstance(values[0], str) and len(values[0].split()) > 1:
        return ("phrase" if op != "match" else "match", field, values[0])
    return ("eq", field, frozenset(values))


def expected_norm(clause: dict[str, Any], types: dict[str, str], levels: set[str]) -> Norm:
    field, op = _base(clause["field"]), clause["op"]
    if op == "range":
        return _range(field, clause, types)
    values = clause.get("values") or [clause.get("value")]
    return _norms(field, "term" if op == "cidr" else op, values, types, levels)


def dsl_norm(leaf: dict[str, Any], types: dict[str, str], levels: set[str]) -> Norm | list[Norm]:
    (op, spec), = leaf.items()
    if op == "bool":
        return [n for c in spec.get("should", []) for n in _flat(dsl_norm(c, types, levels))]
    if op == "exists":
        return ("exists", _base(spec["field"]))
    (name, value), = spec.items()
    field = _base(name)
    if op == "range":
        return _range(field, value, types)
    if isinstance(value, dict):
        value = value.get("value", value.get("query"))
    values = value if isinstance(value, list) else [value]
    return _norms(field, op, values, types, levels)


def _flat(item: Norm | list[Norm]) -> list[Norm]:
    return item if isinstance(item, list) else [item]


def _group(members: list[Norm]) -> Norm:
    """An any_of group; single values on one field are one terms clause."""
    if all(m[0] == "eq" for m in members) and len({m[1] for m in members}) == 1:
        return ("eq", members[0][1], frozenset(v for m in members for v in m[2]))
    if len(members) == 1:
        return members[0]
    return ("any", frozenset(members))


def _split(norms: list[Norm]) -> set[Norm]:
    """must_not: one clause per value (not a or b == not a and not b)."""
    out: set[Norm] = set()
    for norm in norms:
        if norm[0] == "eq":
            out.update(("eq", norm[1], frozenset([v])) for v in norm[2])
        elif norm[0] == "any":
            out.update(_split(list(norm[1])))
        else:
            out.add(norm)
    return out


def score(case: BenchCase, dsl: dict[str, Any], not_understood: list[str], types: dict[str, str],
          time_field: str) -> list[str]:
    """What is wrong with `dsl` for `case` (empty: correct)."""
    levels = {name for name in types if {"level", "severity"} & set(name_parts(name))}
    expect, wrong = case.expect, []
    query = dsl["query"]["bool"]
    window: dict[str, Any] = next((c["range"][time_field] for c in query["filter"]
                                   if "range" in c and time_field in c["range"]), {})
    if expect.window is not None:
        want_start = date_math(expect.window["gte"])
        want_end = date_math(expect.window.get("lt", expect.window.get("lte", "now")))
        start = datetime.fromisoformat(window["gte"])
        end = datetime.fromisoformat(window.get("lte", window.get("lt", NOW.isoformat())))
        if abs((start - want_start).total_seconds()) > 60 or abs((end - want_end).total_seconds()) > 60:
            wrong.append(f"window {start:%m-%d %H:%M}..{end:%m-%d %H:%M}, expected "
                         f"{want_start:%m-%d %H:%M}..{want_end:%m-%d %H:%M}")
    ours: list[Norm] = []
    for clause in query["filter"]:
        if "range" in clause and time_field in clause["range"]:
            continue
        norm = dsl_norm(clause, types, levels)
        ours.append(_group(norm) if isinstance(norm, list) else norm)
    wanted = [expected_norm(c, types, levels) for c in expect.must]
    wanted += [_group([expected_norm(c, types, levels) for c in group]) for group in expect.any_of]
    if set(ours) != set(wanted):
        wrong.append(f"must {sorted(map(str, set(ours) - set(wanted)))} extra, "
                     f"{sorted(map(str, set(wanted) - set(ours)))} missing")
    ours_not = _split([n for c in query.get("must_not", []) for n in _flat(dsl_norm(c, types, levels))])
    wanted_not = _split([expected_norm(c, types, levels) for c in expect.must_not])
    if ours_not != wanted_not:
        wrong.append(f"must_not {sorted(map(str, ours_not - wanted_not))} extra, "
                     f"{sorted(map(str, wanted_not - ours_not))} missing")
    aggs = [(kind, spec) for agg in dsl.get("aggs", {}).values() for kind, spec in agg.items() if kind == "terms"]
    got_aggs = [(_base(spec["field"]), spec.get("size")) for _, spec in aggs]
    want_aggs = [(_base(a["field"]), a.get("size")) for a in expect.aggs]
    if [f for f, _ in got_aggs] != [f for f, _ in want_aggs] or any(
            want is not None and want != got for (_, got), (_, want) in zip(got_aggs, want_aggs, strict=False)):
        wrong.append(f"aggs {got_aggs}, expected {want_aggs}")
    sort = dsl.get("sort") or [{time_field: {"order": "desc"}}]
    (sort_field, spec), = sort[0].items()
    want_sort = expect.sort or {"field": time_field, "order": "desc"}
    if (_base(sort_field), spec.get("order", "desc")) != (_base(want_sort["field"]), want_sort.get("order", "desc")):
        wrong.append(f"sort {sort_field} {spec.get('order')}, expected {want_sort}")
    listed = " ".join(not_understood).lower()
    missing = [w for w in expect.unsupported if not any(part in listed for part in w.lower().split())]
    if missing:
        wrong.append(f"not listed as not understood: {missing}")
    return wrong
