"""Incident merging: joins, leaves, resolves and late retries of older notifications."""

from __future__ import annotations

import json
from typing import Any

from bot.incidents import merge_notification
from core.events import parse_alert_group
from tests.support.incidents import incident_meta


def _notification(payload: dict[str, Any], *alerts: tuple[str, str]) -> Any:
    template = payload["alerts"][0]
    payload["alerts"] = [{**template, "fingerprint": fp, "status": status} for fp, status in alerts]
    payload["status"] = "firing" if any(s == "firing" for _, s in alerts) else "resolved"
    return parse_alert_group(json.dumps(payload))


def test_join_leave_resolve(firing_payload: dict[str, Any]) -> None:
    meta = incident_meta()
    change = merge_notification(meta, _notification(firing_payload, ("a", "firing")))
    assert change.joined == ["a"] and not change.status_changed
    change = merge_notification(meta, _notification(firing_payload, ("a", "firing"), ("b", "firing")))
    assert change.joined == ["b"]
    change = merge_notification(meta, _notification(firing_payload, ("a", "firing"), ("b", "firing")))
    assert not change.anything
    change = merge_notification(meta, _notification(firing_payload, ("a", "resolved"), ("b", "firing")))
    assert change.left == ["a"] and meta.status == "firing"
    change = merge_notification(meta, _notification(firing_payload, ("a", "resolved"), ("b", "resolved")))
    assert change.left == ["b"] and change.status_changed and meta.status == "resolved"


def test_late_retry_of_firing_after_resolve_is_ignored(firing_payload: dict[str, Any]) -> None:
    meta = incident_meta()
    merge_notification(meta, _notification(firing_payload, ("a", "firing")))
    merge_notification(meta, _notification(firing_payload, ("a", "resolved")))
    change = merge_notification(meta, _notification(firing_payload, ("a", "firing")))
    assert change.stale == ["a"] and not change.anything and meta.status == "resolved"
    # The same alert firing again later (a new startsAt) is a real re-fire.
    firing_payload["alerts"][0]["startsAt"] = "2027-01-01T00:00:00Z"
    change = merge_notification(meta, _notification(firing_payload, ("a", "firing")))
    assert change.joined == ["a"] and meta.status == "firing"
