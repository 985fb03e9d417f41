"""Triage's request for log lines (LogQuery), built by the same query builder as /logs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from integrations.opensearch.config import LogFields
from integrations.opensearch.dsl import build_search
from integrations.opensearch.mapping import IndexSchema
from integrations.opensearch.question import LogAggregation, LogFilter, LogQuestion, TimeRange


class LogQuery(BaseModel):
    """Which log lines: where (namespace, pod or workload, container), when, how severe, what text."""

    namespace: str | None = None
    pod: str | None = None
    container: str | None = None
    workload: str | None = None
    start: datetime
    end: datetime
    levels: list[str] = Field(default_factory=list, description="empty: every level")
    text: str | None = Field(None, description="words that must appear in the message")
    size: int = Field(20, ge=0)
    top_messages: int = Field(0, ge=0, description="0: no aggregation")

    @classmethod
    def around(cls, at: datetime, *, before_s: int, after_s: int, **fields: Any) -> LogQuery:
        return cls(start=at - timedelta(seconds=before_s), end=at + timedelta(seconds=after_s), **fields)


TOP_MESSAGES_AGG = "top_messages"


def schema_of(fields: LogFields) -> IndexSchema:
    """The configured log layout as an index schema, so triage needs no mapping round trip."""
    types = {fields.timestamp: "date", fields.message: "text", fields.message_keyword: "keyword"}
    aliases = {"time": [fields.timestamp], "message": [fields.message]}
    for kind in ("level", "namespace", "pod", "container"):
        types[getattr(fields, kind)] = "keyword"
        aliases[kind] = [getattr(fields, kind)]
    types[fields.workload] = "keyword"
    aliases["service"] = [fields.workload]
    return IndexSchema(pattern="", fields=types, aliases=aliases)


def build_log_search(query: LogQuery, fields: LogFields) -> dict[str, Any]:
    """The `_search` body for triage's error logs, through the same builder as /logs: filters (no
    scoring), newest first, optional top-messages terms aggregation."""
    filters = [LogFilter(kind=kind, value=value) for kind, value in (
        ("namespace", query.namespace), ("pod", query.pod), ("container", query.container),
        ("service", query.workload)) if value]
    if query.levels:
        filters.append(LogFilter(kind="level", value=query.levels[0], any_of=query.levels))
    if query.text:
        filters.append(LogFilter(kind="phrase", value=query.text))
    aggregations = [LogAggregation(kind="top", field=fields.message_keyword, size=query.top_messages)] \
        if query.top_messages else []
    question = LogQuestion(text="", time_range=TimeRange(start=query.start, end=query.end), filters=filters,
                           aggregations=aggregations, size=query.size)
    body = build_search(question, schema_of(fields), max_size=max(1, query.size)).body
    if "aggs" in body:
        body["aggs"] = {TOP_MESSAGES_AGG: next(iter(body["aggs"].values()))}
    body["_source"] = [fields.timestamp, fields.message, fields.level, fields.pod, fields.container]
    return body
