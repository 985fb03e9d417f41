"""Alertmanager webhook payloads made from the sample (tests/data/webhook-firing.json) under another name."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

RESOLVED_AT = "2026-11-22T13:36:16.272Z"


def renamed(payload: dict[str, Any], name: str, *, resolved: bool = False,
            summary: str | None = None) -> dict[str, Any]:
    """The one-alert `payload` as its own group named `name` (a stable fingerprint per name), firing or
    resolved; `summary` (the card's title) when given."""
    payload = copy.deepcopy(payload)
    payload["groupKey"] = f'{{}}:{{alertname="{name}"}}'
    payload["status"] = "resolved" if resolved else "firing"
    for labels in (payload["commonLabels"], payload["groupLabels"], payload["alerts"][0]["labels"]):
        labels["alertname"] = name
    if summary is not None:
        for notes in (payload["commonAnnotations"], payload["alerts"][0]["annotations"]):
            notes["summary"] = summary
    alert = payload["alerts"][0]
    alert["status"] = payload["status"]
    alert["fingerprint"] = hashlib.sha256(name.encode()).hexdigest()[:16]
    if resolved:
        alert["endsAt"] = RESOLVED_AT
    return payload
