"""Which series to look at for an alert: its own expression, plus related series per alert family."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

# Label values are quoted into PromQL; anything outside this set is not a Kubernetes name.
_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")


@dataclass(frozen=True)
class RelatedQuery:
    key: str  # stable name analyzers look for: memory_working_set, memory_limit, cpu_throttled, restarts, ...
    title: str
    promql: str
    unit: str = ""  # bytes, ratio, count


def expression_of(generator_url: str) -> str | None:
    """The rule's expression, carried by Prometheus in the alert's generatorURL as `g0.expr`."""
    values = parse_qs(urlsplit(generator_url).query).get("g0.expr")
    return values[0].strip() if values and values[0].strip() else None


def _selector(labels: dict[str, str], names: tuple[str, ...]) -> str | None:
    parts = []
    for name in names:
        value = labels.get(name)
        if not value:
            continue
        if not set(value) <= _SAFE:
            return None
        parts.append(f'{name}="{value}"')
    return "{" + ",".join(parts) + "}" if parts else None


def related_queries(labels: dict[str, str]) -> list[RelatedQuery]:
    """Per family: pod alerts get memory vs limit, CPU throttling and restarts; node alerts node resources."""
    pod = _selector(labels, ("namespace", "pod", "container")) if labels.get("pod") else None
    if pod:
        base = pod[:-1]
        container = base + ',container!="",container!="POD"}'
        return [
            RelatedQuery("memory_working_set", "Memory working set", f"max by (container) "
                         f"(container_memory_working_set_bytes{container})", "bytes"),
            RelatedQuery("memory_limit", "Memory limit", "max by (container) (kube_pod_container_resource_limits"
                         f"{base},resource=\"memory\"}})", "bytes"),
            RelatedQuery("cpu_throttled", "CPU throttled fraction", "max by (container) "
                         f"(rate(container_cpu_cfs_throttled_periods_total{container}[5m]) / "
                         f"rate(container_cpu_cfs_periods_total{container}[5m]))", "ratio"),
            RelatedQuery("restarts", "Restarts (per hour)", "max by (container) "
                         f"(increase(kube_pod_container_status_restarts_total{pod}[1h]))", "count"),
        ]
    node = _selector(labels, ("node",)) or _selector(labels, ("instance",))
    if node and any(k in labels for k in ("node", "instance")):
        return [
            RelatedQuery("node_memory_available", "Node memory available fraction",
                         f"node_memory_MemAvailable_bytes{node} / node_memory_MemTotal_bytes{node}", "ratio"),
            RelatedQuery("node_cpu_busy", "Node CPU busy fraction",
                         f'1 - avg(rate(node_cpu_seconds_total{node[:-1]},mode="idle"}}[5m]))', "ratio"),
        ]
    return []
