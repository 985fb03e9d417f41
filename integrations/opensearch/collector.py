"""Read error-level log lines of a workload around an alert's start from OpenSearch (opensearch-py)."""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, Field

from integrations.opensearch.config import OpenSearchSettings
from integrations.opensearch.query import TOP_MESSAGES_AGG, LogQuery, build_log_search
from integrations.redaction import redact


class LogLine(BaseModel):
    timestamp: str = ""
    level: str = ""
    pod: str = ""
    message: str


class MessageCount(BaseModel):
    message: str
    count: int


class LogSearchResult(BaseModel):
    lines: list[LogLine] = Field(default_factory=list)
    total: int = 0
    top: list[MessageCount] = Field(default_factory=list)
    took_ms: float = 0.0


def connect(config: OpenSearchSettings) -> Any:
    from opensearchpy import OpenSearch  # heavy import: only where OpenSearch is used

    auth = (config.username, config.password.get_secret_value()) if config.username and config.password else None
    return OpenSearch(hosts=[config.url], http_auth=auth, verify_certs=config.verify_tls, ca_certs=config.ca_file,
                      ssl_show_warn=False, timeout=config.timeout_s, max_retries=0, retry_on_timeout=False)


def field_value(doc: dict[str, Any], dotted: str) -> Any:
    """A field by its dotted name, whether the source stores it flat ("a.b") or nested ({"a": {"b"}})."""
    if dotted in doc:
        return doc[dotted]
    value: Any = doc
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


class LogCollector:
    def __init__(self, config: OpenSearchSettings, client: Any | None = None) -> None:
        self.config = config
        self.client = client if client is not None else connect(config)

    def search(self, query: LogQuery) -> LogSearchResult:
        started = time.monotonic()
        body = build_log_search(query, self.config.fields)
        answer = self.client.search(index=self.config.index_pattern, body=body, request_timeout=self.config.timeout_s)
        result = parse_search(answer, self.config)
        result.took_ms = round((time.monotonic() - started) * 1000, 1)
        return result


def parse_search(answer: dict[str, Any], config: OpenSearchSettings) -> LogSearchResult:
    fields, cap = config.fields, config.max_line_chars
    hits = (answer.get("hits") or {}).get("hits") or []
    total = (answer.get("hits") or {}).get("total") or 0
    total = int(total.get("value", 0)) if isinstance(total, dict) else int(total)
    lines = []
    for hit in hits[: config.max_hits]:
        source = hit.get("_source") or {}
        message = str(field_value(source, fields.message) or "")
        lines.append(LogLine(timestamp=str(field_value(source, fields.timestamp) or ""),
                             level=str(field_value(source, fields.level) or ""),
                             pod=str(field_value(source, fields.pod) or ""),
                             message=redact(message)[:cap]))
    buckets = ((answer.get("aggregations") or {}).get(TOP_MESSAGES_AGG) or {}).get("buckets") or []
    top = [MessageCount(message=redact(str(b.get("key", "")))[:cap], count=int(b.get("doc_count", 0)))
           for b in buckets[: config.top_messages]]
    return LogSearchResult(lines=lines, total=total, top=top)


def result_summary(result: LogSearchResult, lines: int = 2) -> str:
    """Count, the most frequent message and the newest lines, for the card."""
    out = [f"{result.total} error lines" + (f"; most frequent ({result.top[0].count}×): {result.top[0].message}"
                                             if result.top else "")]
    out += [f"{line.timestamp} {line.message}" for line in result.lines[:lines]]
    return "\n".join(out)


def result_text(result: LogSearchResult) -> str:
    lines = [f"{result.total} error lines in the window" + (f", newest {len(result.lines)}:" if result.lines else "")]
    lines += [f"  {line.timestamp} {line.pod} {line.message}".rstrip() for line in result.lines]
    if result.top:
        lines.append("most frequent:")
        lines += [f"  {m.count}× {m.message}" for m in result.top]
    return "\n".join(lines)
