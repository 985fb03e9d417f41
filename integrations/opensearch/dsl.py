"""A log question (integrations.opensearch.question) + an index's fields -> an OpenSearch `_search` body.

One builder for /logs and for the error-log evidence of triage cards.

Each filter goes to the field the index keeps that kind of value in, with the operator its type
takes: term on exact values, range for a status class on a numeric field, prefix on a keyword one,
match_phrase on text, a CIDR term on an ip field. A filter the index has no field for is skipped and
said so (`skipped`), never guessed. The time range is always there (the default window when none
was asked for); size is capped.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from integrations.opensearch.mapping import EXACT, NUMERIC, IndexSchema
from integrations.opensearch.question import FieldClause, LogAggregation, LogFilter, LogQuestion

DEFAULT_SIZE = 20
_LEVEL_VARIANTS = {"warning": ("warning", "warn"), "error": ("error", "err"), "critical": ("critical", "crit"),
                   "fatal": ("fatal", "emerg", "alert")}


class Built(BaseModel):
    body: dict[str, Any]
    skipped: list[str] = Field(default_factory=list, description="what the index has no field for")


def _levels(value: str) -> list[str]:
    variants = _LEVEL_VARIANTS.get(value, (value,))
    return [form for v in variants for form in (v, v.upper(), v.capitalize())]


def _clause(flt: LogFilter, schema: IndexSchema) -> dict[str, Any] | None:
    kind = {"status_class": "status", "cidr": "ip", "phrase": "message"}.get(flt.kind, flt.kind)
    name = schema.field_for(kind)
    if name is None:
        return None
    field_type = schema.fields[name]
    exact = schema.exact(name)
    if flt.kind == "status_class":
        digit = int(flt.value[0])
        if field_type in NUMERIC:
            return {"range": {name: {"gte": digit * 100, "lte": digit * 100 + 99}}}
        return {"prefix": {exact: flt.value[0]}} if exact and schema.fields[exact] in EXACT else None
    if flt.kind in ("ip", "cidr"):
        if field_type == "ip":
            return {"term": {name: flt.value}}
        return {"term": {exact: flt.value}} if flt.kind == "ip" and exact else None
    if flt.kind == "phrase":
        return {"match_phrase": {name: flt.value}}
    if flt.any_of:
        return {"terms": {exact: flt.any_of}} if exact else None
    if flt.kind == "level":
        return {"terms": {exact: _levels(flt.value)}} if exact else {"match": {name: flt.value}}
    if flt.kind == "status":
        if field_type in NUMERIC:
            return {"term": {name: int(flt.value)}}
        return {"term": {exact: flt.value}} if exact else None
    if exact:  # host, namespace, pod, service: exact values
        return {"term": {exact: flt.value}}
    return {"match_phrase": {name: flt.value}}


def field_clause(clause: FieldClause) -> dict[str, Any]:
    """One question-model clause as a DSL leaf (its field already resolved against the mapping)."""
    name = clause.field
    if clause.op == "exists":
        return {"exists": {"field": name}}
    if clause.op == "range":
        bounds = {k: v for k in ("gte", "gt", "lte", "lt") if (v := getattr(clause, k)) is not None}
        return {"range": {name: bounds}}
    if clause.op == "terms":
        return {"terms": {name: list(clause.values)}}
    if clause.op == "phrase":
        return {"match_phrase": {name: clause.value}}
    return {clause.op: {name: clause.value}}


def any_of_clause(group: list[FieldClause]) -> dict[str, Any]:
    return {"bool": {"should": [field_clause(c) for c in group], "minimum_should_match": 1}}


def _aggregation(agg: LogAggregation, schema: IndexSchema, time_field: str) -> tuple[str, dict[str, Any]] | None:
    if agg.kind == "histogram":
        return f"per_{agg.interval}", {"date_histogram": {"field": time_field, "fixed_interval": agg.interval,
                                                          "min_doc_count": 0}}
    name = schema.resolve(agg.field)
    if name is None:
        return None
    if agg.kind == "percentiles":
        if schema.fields[name] not in NUMERIC:
            return None
        return f"p{'_'.join(f'{p:g}' for p in agg.percents)}_{name}", {
            "percentiles": {"field": name, "percents": agg.percents}}
    exact = schema.exact(name)
    return (f"top_{exact}", {"terms": {"field": exact, "size": agg.size}}) if exact else None


def build_search(question: LogQuestion, schema: IndexSchema, *, max_size: int,
                 default_size: int = DEFAULT_SIZE) -> Built:
    """The `_search` body for `question` on `schema`'s index. Raises ValueError when the index has
    no date field (nothing can bound the search in time)."""
    time_field = schema.time_field
    if time_field is None:
        raise ValueError(f"the index pattern {schema.pattern} has no date field")
    window = question.time_range
    filters: list[dict[str, Any]] = [{"range": {time_field: {
        "gte": window.start.isoformat(), "lte": window.end.isoformat(), "format": "strict_date_optional_time"}}}]
    excluded: list[dict[str, Any]] = []
    skipped: list[str] = []
    for flt in question.filters:
        clause = _clause(flt, schema)
        if clause is None:
            skipped.append(f"{flt.kind.replace('_', ' ')} {flt.value} (no suitable field in {schema.pattern})")
        else:
            (excluded if flt.exclude else filters).append(clause)
    for asked in question.clauses:
        (excluded if asked.exclude else filters).append(field_clause(asked))
    filters += [any_of_clause(group) for group in question.any_of]
    aggs: dict[str, Any] = {}
    for agg in question.aggregations:
        built = _aggregation(agg, schema, time_field)
        if built is None:
            skipped.append(f"{agg.kind} of {agg.field or 'time'} (no suitable field)")
        else:
            aggs[built[0]] = built[1]
    size = min(question.size if question.size is not None else (0 if aggs else default_size), max_size)
    body: dict[str, Any] = {
        "size": size,
        "sort": [{question.sort_field: {"order": question.sort_order}}] if question.sort_field else
        [{time_field: {"order": "asc" if question.sort == "oldest" else "desc"}}],
        "query": {"bool": {"filter": filters, **({"must_not": excluded} if excluded else {})}},
        "track_total_hits": True,
    }
    if aggs:
        body["aggs"] = aggs
    return Built(body=body, skipped=skipped)


def add_clauses(body: dict[str, Any], include: list[dict[str, Any]], exclude: list[dict[str, Any]]) -> dict[str, Any]:
    """`body` with more filter / must_not clauses (what the LLM added); the original is not changed."""
    query = body["query"]["bool"]
    merged = {**query, "filter": [*query["filter"], *include]}
    if exclude or "must_not" in query:
        merged["must_not"] = [*query.get("must_not", []), *exclude]
    return {**body, "query": {"bool": merged}}
