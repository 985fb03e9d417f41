"""OpenSearch log evidence through opensearch-py against a fake answering `_search` with hits and aggregations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from handlers.enrichers.evidence import OpenSearchEnricher
from integrations.opensearch.config import OpenSearchSettings
from tests.support.fakes.opensearch_api import FakeOpenSearch, log_doc
from tests.support.opensearch_alerts import POD, STARTS, group


@pytest.fixture
def fake() -> Iterator[FakeOpenSearch]:
    with FakeOpenSearch().run_in_thread() as server:
        yield server
        server.delay_s = 0


def seed(fake: FakeOpenSearch) -> None:
    for i in range(30):
        fake.documents.append(log_doc(STARTS - timedelta(seconds=10 * i), "shop", POD,
                                      "java.lang.OutOfMemoryError: Java heap space" if i % 3 else
                                      f"payment call failed: Authorization: Bearer abcdef0123456789abcdef{i:02d}"))
    fake.documents += [
        log_doc(STARTS, "shop", POD, "request served", level="info"),                       # not an error
        log_doc(STARTS - timedelta(hours=2), "shop", POD, "old error, outside the window"),  # too early
        log_doc(STARTS, "shop", "other-pod", "someone else's error"),                         # another pod
    ]


def test_error_lines_around_the_start_with_top_messages(fake: FakeOpenSearch) -> None:
    seed(fake)
    config = OpenSearchSettings(url=fake.base_url, max_hits=5, top_messages=2)
    result = OpenSearchEnricher(config).collect(group({"namespace": "shop", "pod": POD}))
    assert not result.unavailable
    (evidence,) = result.evidence
    assert evidence.id == f"logs:shop/{POD}" and evidence.source == "opensearch"
    data = evidence.data
    assert data["total"] == 30 and len(data["lines"]) == 5
    assert data["lines"][0]["timestamp"] == "2026-11-22T10:00:00Z"  # newest first
    assert data["top"][0] == {"message": "java.lang.OutOfMemoryError: Java heap space", "count": 20}
    assert "30 error lines in the window, newest 5:" in evidence.text
    assert "20× java.lang.OutOfMemoryError" in evidence.text
    assert "abcdef0123456789" not in evidence.text and "Bearer [redacted]" in evidence.text
    assert "outside the window" not in evidence.text and "someone else" not in evidence.text

    (request,) = fake.requests_to("/_search")
    assert request.method in ("GET", "POST") and request.path == "/logs-*/_search"
    assert request.body["size"] == 5 and request.body["aggs"]["top_messages"]["terms"]["size"] == 2


def test_workload_alert_filters_on_the_workload_label(fake: FakeOpenSearch) -> None:
    fake.documents.append(log_doc(STARTS, "shop", "checkout-abc", "boom", app="checkout"))
    config = OpenSearchSettings(url=fake.base_url)
    result = OpenSearchEnricher(config).collect(group({"namespace": "shop", "deployment": "checkout"}))
    assert result.evidence[0].data["total"] == 1
    filters = fake.requests_to("/_search")[0].body["query"]["bool"]["filter"]
    assert {"term": {"kubernetes.labels.app": "checkout"}} in filters


def test_errors_and_hangs_become_unavailable_lines(fake: FakeOpenSearch) -> None:
    config = OpenSearchSettings(url=fake.base_url, timeout_s=0.3)
    fake.fail_next("/_search", 500, {"error": {"type": "search_phase_execution_exception"}, "status": 500})
    failed = OpenSearchEnricher(config).collect(group({"namespace": "shop", "pod": POD}))
    assert failed.unavailable[0].source == "opensearch" and "500" in failed.unavailable[0].reason
    assert failed.evidence[0].error
    fake.delay_s = 5
    slow = OpenSearchEnricher(config).collect(group({"namespace": "shop", "pod": POD}))
    assert "Timeout" in slow.unavailable[0].reason or "timed out" in slow.unavailable[0].reason.lower()
