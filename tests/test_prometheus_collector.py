"""Prometheus evidence against a real Prometheus (Debian package) scraping a small exporter the test serves:
the alert's expression from generatorURL, related series summarised as numbers, MemoryNearLimit and CPUThrottled."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from bot.events import AlertGroup
from handlers.evidence import PrometheusEnricher
from integrations.prometheus.config import PrometheusSettings
from integrations.prometheus.queries import expression_of, related_queries
from integrations.prometheus.series import format_bytes, summarise
from tests.fakes.pod_exporter import MiB, PodExporter, scrape_config
from tests.servers import Proc, free_port, http_json, prometheus_server, wait_until

POD = "checkout-7d9f8b6c5-x2x4z"
EXPR = 'kube_pod_container_status_restarts_total{namespace="shop"} > 3'


@pytest.fixture(scope="module")
def exporter() -> Iterator[PodExporter]:
    with PodExporter("shop", POD, start_bytes=236 * MiB, step_bytes=2 * MiB).run_in_thread() as server:
        yield server


@pytest.fixture(scope="module")
def prometheus(exporter: PodExporter, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proc]:
    with prometheus_server(tmp_path_factory.mktemp("prom"), scrape_config(exporter.base_url)) as prom:
        # rate() over the throttling counters needs a few scrapes
        wait_until(lambda: exporter.scrapes >= 5 and bool(http_json(
            f"{prom.url}/api/v1/query?query=container_cpu_cfs_periods_total")["data"]["result"]),
            timeout=30, what="five scrapes")
        yield prom


def alert_group(labels: dict[str, str], expr: str = EXPR) -> AlertGroup:
    return AlertGroup.model_validate({
        "version": "4", "groupKey": "g", "status": "firing", "receiver": "opsbot",
        "alerts": [{"status": "firing", "labels": {"alertname": "KubePodCrashLooping", **labels}, "fingerprint": "f",
                    "startsAt": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
                    "generatorURL": f"http://prometheus.example.internal/graph?g0.expr={quote(expr)}&g0.tab=1"}]})


def settings(url: str, **overrides: Any) -> PrometheusSettings:
    return PrometheusSettings(url=url, step_s=1, lookback_s=120, **overrides)


def test_expression_and_related_series_summarised_with_findings(prometheus: Proc) -> None:
    labels = {"namespace": "shop", "pod": POD, "container": "app"}
    result = PrometheusEnricher(settings(prometheus.url)).collect(alert_group(labels))
    assert not result.unavailable
    by_id = {e.id: e for e in result.evidence}
    assert list(by_id) == ["prom:expression", "prom:memory_working_set", "prom:memory_limit", "prom:cpu_throttled",
                           "prom:restarts"]
    expression = by_id["prom:expression"]
    assert EXPR in expression.text and f"pod={POD}" in expression.text
    assert expression.data["series"][0]["current"] == 5.0
    memory = by_id["prom:memory_working_set"]
    assert "MiB" in memory.text and "rising" in memory.text
    series = memory.data["series"][0]
    assert series["samples"] >= 2 and series["min"] < series["max"] <= 256 * MiB
    assert "256.0 MiB" in by_id["prom:memory_limit"].text
    assert all(e.took_ms > 0 for e in result.evidence)

    codes = {f.code: f for f in result.findings}
    assert set(codes) == {"MemoryNearLimit", "CPUThrottled"}
    assert "of its limit" in codes["MemoryNearLimit"].title
    assert codes["MemoryNearLimit"].evidence_refs == ["prom:memory_working_set", "prom:memory_limit"]
    assert "50%" in codes["CPUThrottled"].title


def test_a_bad_query_is_noted_and_the_rest_still_answers(prometheus: Proc) -> None:
    result = PrometheusEnricher(settings(prometheus.url)).collect(
        alert_group({"namespace": "shop", "pod": POD}, expr="sum(rate(broken["))
    by_id = {e.id: e for e in result.evidence}
    assert by_id["prom:expression"].error and "400" in by_id["prom:expression"].error
    assert by_id["prom:memory_working_set"].available and not result.unavailable


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

