"""Summarise Prometheus series as numbers (current, min, max, trend) instead of raw samples."""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, Field

FLAT_FRACTION = 0.02  # a change under 2 % of the largest value is "flat"


class SeriesSummary(BaseModel):
    labels: dict[str, str] = Field(default_factory=dict)
    current: float | None = None
    min: float | None = None
    max: float | None = None
    first: float | None = None
    samples: int = 0
    trend: str = "unknown"  # rising, falling, flat

    def describe(self, unit: str = "") -> str:
        if self.current is None:
            return "no data"
        fmt = {"bytes": format_bytes, "ratio": format_ratio}.get(unit, format_number)
        return (f"now {fmt(self.current)}, min {fmt(self.min)}, max {fmt(self.max)} ({self.trend} over the range)"
                if self.samples > 1 else f"now {fmt(self.current)}")


def _values(pairs: list[Any]) -> list[float]:
    values = []
    for pair in pairs:
        try:
            value = float(pair[1])
        except (TypeError, ValueError, IndexError):
            continue
        if math.isfinite(value):
            values.append(value)
    return values


def summarise(result: dict[str, Any]) -> SeriesSummary:
    """One `matrix` (values) or `vector` (value) entry of the HTTP API's result."""
    pairs = result.get("values") or ([result["value"]] if result.get("value") else [])
    values = _values(pairs)
    labels = {k: str(v) for k, v in (result.get("metric") or {}).items()}
    if not values:
        return SeriesSummary(labels=labels)
    first, last = values[0], values[-1]
    scale = max(abs(v) for v in values) or 1.0
    change = last - first
    trend = "flat" if abs(change) <= FLAT_FRACTION * scale else ("rising" if change > 0 else "falling")
    return SeriesSummary(labels=labels, current=last, min=min(values), max=max(values), first=first,
                         samples=len(values), trend=trend)


def format_number(value: float | None) -> str:
    if value is None:
        return "-"
    if value == 0 or 0.01 <= abs(value) < 1e6:
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{value:.3g}"


def format_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def format_bytes(value: float | None) -> str:
    if value is None:
        return "-"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"
