"""Incident merging: joins, leaves, resolves and late retries of older notifications."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import redis as redis_lib

from bot.events import parse_alert_group
from bot.incidents import IncidentMeta, IncidentStore, merge_notification
from integrations.chat import PostRef


def _meta(group_status: str = "firing") -> IncidentMeta:
    return IncidentMeta(key="k", receiver="r", group_key="g", status=group_status,  # type: ignore[arg-type]
                        first_received_at=0.0, first_seen=datetime(2026, 1, 1, tzinfo=UTC))


def _notification(payload: dict[str, Any], *alerts: tuple[str, str]) -> Any:
    template = payload["alerts"][0]
    payload["alerts"] = [{**template, "fingerprint": fp, "status": status} for fp, status in alerts]
    payload["status"] = "firing" if any(s == "firing" for _, s in alerts) else "resolved"
    return parse_alert_group(json.dumps(payload))


def test_join_leave_resolve(firing_payload: dict[str, Any]) -> None:
    meta = _meta()
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
    meta = _meta()
    merge_notification(meta, _notification(firing_payload, ("a", "firing")))
    merge_notification(meta, _notification(firing_payload, ("a", "resolved")))
    change = merge_notification(meta, _notification(firing_payload, ("a", "firing")))
    assert change.stale == ["a"] and not change.anything and meta.status == "resolved"
    # The same alert firing again later (a new startsAt) is a real re-fire.
    firing_payload["alerts"][0]["startsAt"] = "2027-01-01T00:00:00Z"
    change = merge_notification(meta, _notification(firing_payload, ("a", "firing")))
    assert change.joined == ["a"] and meta.status == "firing"


def test_store_keeps_channel_fields_apart(clean_redis: redis_lib.Redis) -> None:
    store = IncidentStore(clean_redis)
    meta = _meta()
    store.save(meta)
    ref = PostRef(platform="slack", channel="C1", post_id="1.2")
    store.set_post_ref("k", "slack:oncall", ref)
    store.set_delivered("k", "slack:oncall", 3)
    meta.version = 4
    store.save(meta)  # the alert task saving meta must not clobber what delivery wrote
    assert store.post_ref("k", "slack:oncall") == ref
    assert store.delivered_version("k", "slack:oncall") == 3
    assert store.load("k").version == 4  # type: ignore[union-attr]
    meta.status = "resolved"
    store.save(meta)
    assert 0 < clean_redis.ttl(store.key("k")) <= 7 * 86400
