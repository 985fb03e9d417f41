"""A PNG of the alert's expression over the last hour, for the triage card.

`expression_graph` runs one `query_range` and draws it with matplotlib's Agg backend (no display, no
browser): one line per series, labelled by the labels that differ between the series, the alert's
`startsAt` as a vertical line and the threshold of a `expr > N` comparison as a horizontal one. Meant
for the collect queue (never the web process); the figure is small so it stays within the budget
(`GRAPH_BUDGET_MS`, `GRAPH_MAX_BYTES`). Prometheus unreachable or the PNG over budget -> `error` says
why; no series -> neither a PNG nor an error.
"""

from __future__ import annotations

import io
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from integrations.prometheus.collector import connect
from integrations.prometheus.config import PrometheusSettings
from integrations.redaction import redact

GRAPH_BUDGET_MS = 300
GRAPH_MAX_BYTES = 100_000
WINDOW_S = 3600
MAX_SERIES = 8
_THRESHOLD = re.compile(r"(?:>=?|<=?|==)\s*(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*$", re.IGNORECASE)


class Graph(BaseModel):
    title: str
    png: bytes | None = None
    error: str | None = None
    took_ms: float = 0.0
    series: int = 0


def threshold_of(expr: str) -> float | None:
    """The number a trailing comparison compares with (`… > 0.9`), or None."""
    match = _THRESHOLD.search(expr.strip())
    return float(match.group(1)) if match else None


def series_labels(metrics: list[dict[str, str]]) -> list[str]:
    """Each series named by the labels whose values differ between the series (all of them when one)."""
    keys = sorted({k for m in metrics for k in m})
    differing = [k for k in keys if len({m.get(k) for m in metrics}) > 1] or [k for k in keys if k != "__name__"]
    return [", ".join(f"{k}={m[k]}" for k in differing if k in m) or m.get("__name__", "value") for m in metrics]


def render_png(result: list[dict[str, Any]], *, title: str, starts_at: datetime | None = None,
               threshold: float | None = None) -> bytes:
    # A Figure on an Agg canvas, not pyplot: no global state, so worker threads can draw at once.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import DateFormatter, date2num
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 2.6), dpi=80)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    result = result[:MAX_SERIES]
    for item, label in zip(result, series_labels([r.get("metric", {}) for r in result]), strict=True):
        points = [(date2num(datetime.fromtimestamp(float(t), UTC)), float(v)) for t, v in item.get("values", [])]
        if points:
            axes.plot([p[0] for p in points], [p[1] for p in points], linewidth=1.2, label=label[:60])
    if starts_at is not None:
        axes.axvline(float(date2num(starts_at)), color="#D00000", linestyle="--", linewidth=1, label="startsAt")
    if threshold is not None:
        axes.axhline(threshold, color="#DAA038", linestyle=":", linewidth=1, label=f"threshold {threshold:g}")
    axes.set_title(title[:90], fontsize=9)
    axes.xaxis.set_major_formatter(DateFormatter("%H:%M", tz=UTC))
    axes.tick_params(labelsize=7)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=6, loc="upper left")
    figure.subplots_adjust(left=0.09, right=0.98, top=0.9, bottom=0.12)  # fixed: tight_layout costs ~40 %
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def expression_graph(config: PrometheusSettings, expr: str, *, starts_at: datetime | None = None,
                     end: datetime | None = None, client: Any | None = None) -> Graph:
    """The expression over the last hour as a PNG, or why there is none."""
    started = time.monotonic()
    graph = Graph(title=expr)
    end = end or datetime.now(UTC)
    try:
        prometheus = client if client is not None else connect(config)
        step = max(config.step_s, WINDOW_S // 240)  # at most ~240 points a series
        data = prometheus.custom_query_range(expr, start_time=end - timedelta(seconds=WINDOW_S), end_time=end,
                                             step=f"{step}s", timeout=config.timeout_s) or []
    except Exception as exc:
        graph.error = redact(f"Prometheus unavailable: {type(exc).__name__}: {exc}")[:300]
    else:
        if data:  # no series: no graph and nothing to say (the expression's evidence says so)
            png = render_png(data, title=expr, starts_at=starts_at, threshold=threshold_of(expr))
            graph.series = len(data)
            if len(png) > GRAPH_MAX_BYTES:
                graph.error = f"graph of {len(png) // 1024} KiB is over the {GRAPH_MAX_BYTES // 1000} KB budget"
            else:
                graph.png = png
    graph.took_ms = round((time.monotonic() - started) * 1000, 1)
    return graph
