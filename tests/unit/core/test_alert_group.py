"""The alert-group model: idempotency and incident keys, invalid payloads named by field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.events import InvalidPayload, parse_alert_group


def _group(payload: dict[str, Any]):  # type: ignore[no-untyped-def]
    return parse_alert_group(json.dumps(payload))


def test_idempotency_key_ignores_order_but_not_state(firing_payload: dict[str, Any]) -> None:
    template = firing_payload["alerts"][0]
    firing_payload["alerts"] = [template, {**template, "fingerprint": "other"}]
    one = _group(firing_payload)
    firing_payload["alerts"].reverse()
    two = _group(firing_payload)
    assert one.idempotency_key == two.idempotency_key
    firing_payload["alerts"][0]["status"] = "resolved"
    assert _group(firing_payload).idempotency_key != one.idempotency_key
    assert _group(firing_payload).incident_key == one.incident_key


@pytest.mark.parametrize("mutate", [
    lambda p: p.pop("groupKey"),
    lambda p: p.update(alerts=[]),
    lambda p: p["alerts"][0].update(startsAt="yesterday"),
    lambda p: p["alerts"][0]["labels"].update(alertname=5),
])
def test_invalid_payloads_raise_with_field(firing_payload: dict[str, Any], mutate: Any) -> None:
    mutate(firing_payload)
    with pytest.raises(InvalidPayload, match=r"invalid webhook payload: \w+"):
        _group(firing_payload)
