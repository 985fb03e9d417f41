"""Build OpenSearch queries for log lines: a pure function, shared by triage evidence and /logs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from integrations.opensearch.config import LogFields


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


def build_log_search(query: LogQuery, fields: LogFields) -> dict[str, Any]:
    """The `_search` body: filters (no scoring), newest first, optional top-messages terms aggregation."""
    filters: list[dict[str, Any]] = [
        {"range": {fields.timestamp: {"gte": query.start.isoformat(), "lte": query.end.isoformat()}}},
    ]
    for field, value in ((fields.namespace, query.namespace), (fields.pod, query.pod),
                         (fields.container, query.container), (fields.workload, query.workload)):
        if value:
            filters.append({"term": {field: value}})
    if query.levels:
        filters.append({"terms": {fields.level: query.levels}})
    if query.text:
        filters.append({"match": {fields.message: {"query": query.text, "operator": "and"}}})
    body: dict[str, Any] = {
        "size": query.size,
        "sort": [{fields.timestamp: {"order": "desc"}}],
        "_source": [fields.timestamp, fields.message, fields.level, fields.pod, fields.container],
        "query": {"bool": {"filter": filters}},
        "track_total_hits": True,
    }
    if query.top_messages:
        body["aggs"] = {TOP_MESSAGES_AGG: {"terms": {"field": fields.message_keyword, "size": query.top_messages}}}
    return body
