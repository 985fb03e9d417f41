"""The webhook accepts only what the worker can turn into a card: times in UTC (naive ones read as UTC),
strings UTF-8 can encode, JSON Python can hold; everything else is an InvalidPayload with a reason."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

import pytest

from core.events import MAX_JSON_DEPTH, InvalidPayload, load_json, parse_alert_group
from handlers.triage import first_card


def _group(payload: dict[str, Any]):  # type: ignore[no-untyped-def]
    return parse_alert_group(json.dumps(payload))


def test_naive_and_aware_times_mix_and_become_utc(firing_payload: dict[str, Any]) -> None:
    template = firing_payload["alerts"][0]
    firing_payload["alerts"] = [{**template, "startsAt": "2026-11-22T13:06:16"},
                                {**template, "fingerprint": "f2", "startsAt": "2026-11-22T15:06:16+02:00"}]
    group = _group(firing_payload)
    assert all(a.startsAt.tzinfo is UTC for a in group.alerts)
    assert group.alerts[0].startsAt == group.alerts[1].startsAt
    assert first_card(group).field("started") == "2026-11-22 13:06:16 UTC"


def test_naive_ends_at_on_a_resolve(firing_payload: dict[str, Any]) -> None:
    firing_payload["status"] = "resolved"
    firing_payload["alerts"][0].update(status="resolved", endsAt="2026-11-22T14:00:00")
    group = _group(firing_payload)
    assert group.alerts[0].ended_at is not None and group.alerts[0].ended_at.tzinfo is UTC
    assert first_card(group).field("duration") == "53m"


def test_the_zero_time_still_means_not_ended(firing_payload: dict[str, Any]) -> None:
    assert _group(firing_payload).alerts[0].ended_at is None


@pytest.mark.parametrize(("body", "reason"), [
    (b'{"a": "\\ud800"}', "lone surrogate"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b"[" * 5000 + b"]" * 5000, "nested deeper"),
    (b"[" * (MAX_JSON_DEPTH + 2) + b"]" * (MAX_JSON_DEPTH + 2), "nested deeper"),
    (b'{"n": ' + b"9" * 5000 + b"}", "not valid JSON"),
    (b'{"n": NaN}', "not a JSON number"),
    (b'{"n": Infinity}', "not a JSON number"),
])
def test_json_python_cannot_hold_is_refused_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(InvalidPayload, match=reason):
        load_json(body)


def test_a_lone_surrogate_in_a_label_is_refused(firing_payload: dict[str, Any]) -> None:
    body = json.dumps(firing_payload).replace('"team": "sre"', '"team": "sre\\udc80"')
    with pytest.raises(InvalidPayload, match=r"[lL]abels\.team: not valid Unicode"):
        parse_alert_group(body)
    key = json.dumps(firing_payload).replace('"team": "sre"', '"te\\ud83dam": "sre"')
    with pytest.raises(InvalidPayload, match="not valid Unicode"):
        parse_alert_group(key)


def test_a_surrogate_pair_is_fine(firing_payload: dict[str, Any]) -> None:
    body = json.dumps(firing_payload).replace('"team": "sre"', '"team": "sre \\ud83d\\ude80"')
    assert parse_alert_group(body).alerts[0].labels["team"] == "sre 🚀"


@pytest.mark.parametrize("starts_at", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_a_time_out_of_range_in_utc_is_refused(firing_payload: dict[str, Any], starts_at: str) -> None:
    firing_payload["alerts"][0]["startsAt"] = starts_at
    with pytest.raises(InvalidPayload, match=r"alerts\.0\.startsAt"):
        _group(firing_payload)


def test_truncated_alerts_is_bounded(firing_payload: dict[str, Any]) -> None:
    firing_payload["truncatedAlerts"] = 10**100
    with pytest.raises(InvalidPayload, match="truncatedAlerts"):
        _group(firing_payload)
