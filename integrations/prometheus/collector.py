"""Read the alert's expression and related series from Prometheus, summarised as numbers.

Range queries over the last hour (the last point is "now"), run in parallel, each with the
configured timeout; a failing related query is noted, not fatal. Only the HTTP query API is used.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from integrations.prometheus.config import PrometheusSettings
from integrations.prometheus.queries import RelatedQuery
from integrations.prometheus.series import SeriesSummary, summarise
from integrations.redaction import redact

EXPRESSION_KEY = "expression"


class QueryResult(BaseModel):
    key: str
    title: str
    promql: str
    unit: str = ""
    series: list[SeriesSummary] = Field(default_factory=list)
    total_series: int = 0
    error: str | None = None
    took_ms: float = 0.0


def connect(config: PrometheusSettings) -> Any:
    from prometheus_api_client import PrometheusConnect  # only the client: its other modules pull pandas

    headers = {"Authorization": f"Bearer {config.bearer_token.get_secret_value()}"} if config.bearer_token else None
    auth = (config.username, config.password.get_secret_value()) if config.username and config.password else None
    return PrometheusConnect(url=config.url.rstrip("/"), headers=headers, auth=auth,
                             disable_ssl=not config.verify_tls, timeout=config.timeout_s)


class PrometheusCollector:
    def __init__(self, config: PrometheusSettings, client: Any | None = None) -> None:
        self.config = config
        self.client = client if client is not None else connect(config)

    def run(self, queries: list[RelatedQuery], end: datetime | None = None) -> list[QueryResult]:
        if not queries:
            return []
        end = end or datetime.now(UTC)
        with ThreadPoolExecutor(max_workers=min(len(queries), 6), thread_name_prefix="promql") as pool:
            return list(pool.map(lambda q: self.query_range(q, end), queries))

    def query_range(self, query: RelatedQuery, end: datetime) -> QueryResult:
        started = time.monotonic()
        result = QueryResult(key=query.key, title=query.title, promql=query.promql, unit=query.unit)
        try:
            start = end - timedelta(seconds=self.config.lookback_s)
            data = self.client.custom_query_range(query.promql, start_time=start, end_time=end,
                                                  step=f"{self.config.step_s}s", timeout=self.config.timeout_s)
        except Exception as exc:
            result.error = redact(f"{type(exc).__name__}: {exc}")[:300]
        else:
            series = [summarise(item) for item in data or []]
            # the most relevant series first: the highest current values
            series.sort(key=lambda s: s.current if s.current is not None else float("-inf"), reverse=True)
            result.total_series = len(series)
            result.series = series[: self.config.max_series]
        result.took_ms = round((time.monotonic() - started) * 1000, 1)
        return result


def _series_label(series: SeriesSummary) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(series.labels.items()) if k != "__name__") or "(value)"


def result_summary(result: QueryResult, series: int = 2) -> str:
    """The top series as numbers, for the card."""
    if result.error:
        return f"error: {result.error}"
    if not result.series:
        return "no data in the range"
    return "\n".join(f"{_series_label(s)}: {s.describe(result.unit)}" for s in result.series[:series])


def result_text(result: QueryResult) -> str:
    head = f"{result.title}: {result.promql}"
    if result.error or not result.series:
        return f"{head}\n  {result_summary(result)}"
    lines = [head] + [f"  {_series_label(s)}: {s.describe(result.unit)}" for s in result.series]
    if result.total_series > len(result.series):
        lines.append(f"  … and {result.total_series - len(result.series)} more series")
    return "\n".join(lines)
