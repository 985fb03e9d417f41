"""Prometheus evidence against a real Prometheus (Debian package) scraping a small exporter the test serves:
the alert's expression from generatorURL, related series summarised as numbers, MemoryNearLimit and CPUThrottled."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from handlers.enrichers.evidence import PrometheusEnricher
from tests.support.fakes.pod_exporter import MiB, PodExporter, scrape_config
from tests.support.prometheus_alerts import EXPR, POD, alert_group, settings
from tests.support.servers import Proc, http_json, prometheus_server, wait_until


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
