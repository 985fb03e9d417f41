"""Prometheus evidence without a server: an unreachable URL, queries per alert family, series summaries."""

from __future__ import annotations

from handlers.enrichers.evidence import PrometheusEnricher
from integrations.prometheus.queries import expression_of, related_queries
from integrations.prometheus.series import format_bytes, summarise
from tests.support.fakes.pod_exporter import MiB
from tests.support.prometheus_alerts import POD, alert_group, settings
from tests.support.servers import free_port


def test_unreachable_prometheus_is_one_unavailable_line() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = PrometheusEnricher(settings(url, timeout_s=0.5)).collect(alert_group({"namespace": "shop", "pod": POD}))
    assert [u.source for u in result.unavailable] == ["prometheus"]
    assert "Connection" in result.unavailable[0].reason and not result.findings


def test_queries_follow_the_alert_family() -> None:
    assert [q.key for q in related_queries({"namespace": "a", "pod": "p"})] == [
        "memory_working_set", "memory_limit", "cpu_throttled", "restarts"]
    assert [q.key for q in related_queries({"node": "n1"})] == ["node_memory_available", "node_cpu_busy"]
    assert related_queries({"alertname": "Watchdog"}) == []
    assert related_queries({"namespace": "a", "pod": 'p"}) or vector(1'}) == []  # never inject PromQL
    assert expression_of("http://p/graph?g0.expr=up%20%3D%3D%200&g0.tab=1") == "up == 0"
    assert expression_of("http://p/graph") is None


def test_series_summary() -> None:
    rising = summarise({"metric": {"pod": "a"}, "values": [[1, "10"], [2, "30"], [3, "25"], [4, "NaN"], [5, "40"]]})
    assert (rising.current, rising.min, rising.max, rising.trend, rising.samples) == (40.0, 10.0, 40.0, "rising", 4)
    flat = summarise({"metric": {}, "values": [[1, "100"], [2, "101"]]})
    assert flat.trend == "flat"
    instant = summarise({"metric": {}, "value": [1, "3"]})
    assert instant.current == 3.0 and instant.describe() == "now 3"
    assert summarise({"metric": {}, "values": []}).describe() == "no data"
    assert format_bytes(256 * MiB) == "256.0 MiB"
