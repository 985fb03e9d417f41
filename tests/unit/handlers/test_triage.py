"""The triage card (pure logic); the alert-group model is in tests/unit/core/test_alert_group.py."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import unquote

from core.enrichment import Enrichment
from core.events import parse_alert_group
from core.models import Finding, Severity, Step
from handlers.triage import enrich, enriched_card, first_card, format_duration


def _group(payload: dict[str, Any]):  # type: ignore[no-untyped-def]
    return parse_alert_group(json.dumps(payload))


def test_first_card_says_what_where_severity_and_links(firing_payload: dict[str, Any]) -> None:
    card = first_card(_group(firing_payload))
    assert card.kind == "triage" and card.status == "firing"
    assert card.title == "Pod shop/checkout-5f7b9c-abcde is crash looping"
    assert card.severity is Severity.critical
    assert card.field("namespace") == "shop" and card.field("pod") == "checkout-5f7b9c-abcde"
    assert card.field("alert") == "KubePodCrashLooping"
    links = {link.title: link.url for link in card.links}
    assert links["Runbook"] == "https://runbooks.example.internal/k8s/crashloop"
    assert links["Graph"].startswith("http://prometheus.example.internal:9090/graph?g0.expr=")
    silence = unquote(links["Silence"])
    assert silence.startswith("http://alertmanager.example.internal:9093/#/silences/new?filter={")
    assert 'alertname="KubePodCrashLooping"' in silence and 'pod="checkout-5f7b9c-abcde"' in silence


def test_resolved_card_has_duration(firing_payload: dict[str, Any]) -> None:
    firing_payload["status"] = "resolved"
    alert = firing_payload["alerts"][0]
    alert.update(status="resolved", startsAt="2026-11-22T10:00:00Z", endsAt="2026-11-22T11:35:00Z")
    card = first_card(_group(firing_payload))
    assert card.status == "resolved"
    assert card.field("duration") == "1h 35m"


def test_group_of_many_alerts_lists_them_trimmed(firing_payload: dict[str, Any]) -> None:
    template = firing_payload["alerts"][0]
    firing_payload["alerts"] = [
        {**template, "fingerprint": f"fp{i}", "labels": {**template["labels"], "pod": f"p{i}"}} for i in range(14)
    ]
    firing_payload["truncatedAlerts"] = 3
    card = first_card(_group(firing_payload))
    assert "p0" in card.text and "… and 4 more" in card.text
    assert card.field("alerts") == "14 firing, 0 resolved, 3 more not shown"


class _Source:
    def __init__(self, name: str, delay: float = 0.0, fail: bool = False) -> None:
        self.name, self.delay, self.fail = name, delay, fail

    def applies(self, group: Any) -> bool:
        return True

    def collect(self, group: Any) -> Enrichment:
        time.sleep(self.delay)
        if self.fail:
            raise ConnectionError("connection refused")
        return Enrichment(findings=[Finding(code=f"{self.name.upper()}_X", severity=Severity.error, title="t",
                                            steps=[Step(command=f"check {self.name}")])])


def test_enrich_bounds_slow_and_failing_sources(firing_payload: dict[str, Any]) -> None:
    group = _group(firing_payload)
    started = time.monotonic()
    result = enrich(group, [_Source("fast"), _Source("slow", delay=3), _Source("broken", fail=True)],
                    per_source_s=0.5, total_s=1.0)
    assert time.monotonic() - started < 1.5
    assert [f.code for f in result.findings] == ["FAST_X"]
    reasons = {u.source: u.reason for u in result.unavailable}
    assert reasons["slow"] == "no answer within 0.5 s"
    assert "connection refused" in reasons["broken"]
    card = enriched_card(first_card(group), result)
    assert card.findings[0].code == "FAST_X" and card.steps[0].command == "check fast"
    assert {u.source for u in card.unavailable} == {"slow", "broken"}
    assert "fast" in card.footer


def test_format_duration() -> None:
    assert format_duration(42) == "42s"
    assert format_duration(3 * 86400 + 60) == "3d 1m"
