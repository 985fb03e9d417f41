"""Prometheus analyzers: deterministic findings from the series a triage queried, before any LLM sees it."""

from __future__ import annotations

from core.models import Finding, Severity
from integrations.prometheus.collector import QueryResult

MEMORY_NEAR_LIMIT = 0.9
CPU_THROTTLED = 0.25


def analyze_metrics(results: list[QueryResult], ref_of: dict[str, str]) -> list[Finding]:
    """MemoryNearLimit (working set >= 90 % of the limit) and CPUThrottled (>= 25 % of periods)."""
    by_key = {r.key: r for r in results if not r.error}
    findings: list[Finding] = []
    usage, limits = by_key.get("memory_working_set"), by_key.get("memory_limit")
    if usage and limits:
        limit_of = {s.labels.get("container", ""): s.current for s in limits.series if s.current}
        for series in usage.series:
            container = series.labels.get("container", "")
            limit = limit_of.get(container)
            peak = series.max
            if limit and peak is not None and peak >= MEMORY_NEAR_LIMIT * limit:
                findings.append(Finding(
                    code="MemoryNearLimit", severity=Severity.warning,
                    title=f"Container {container or '?'} memory reached {peak / limit:.0%} of its limit",
                    explanation=f"Working set peaked at {peak / 2**20:.0f} MiB against a {limit / 2**20:.0f} MiB "
                                f"limit in the last hour (now {(series.current or 0) / 2**20:.0f} MiB, "
                                f"{series.trend}).",
                    evidence_refs=[r for r in (ref_of.get("memory_working_set"), ref_of.get("memory_limit")) if r]))
    throttled = by_key.get("cpu_throttled")
    for series in throttled.series if throttled else []:
        if series.max is not None and series.max >= CPU_THROTTLED:
            container = series.labels.get("container", "?")
            findings.append(Finding(
                code="CPUThrottled", severity=Severity.warning,
                title=f"Container {container} was CPU-throttled in {series.max:.0%} of periods",
                explanation="Its CPU limit is too low for its load (now "
                            f"{(series.current or 0):.0%}); latency rises while throttled.",
                evidence_refs=[r for r in (ref_of.get("cpu_throttled"),) if r]))
    return findings
