"""Inbound events (Alertmanager groups, chat commands, mentions, button actions).

The Alertmanager models follow the webhook payload format version 4 as documented by
Alertmanager (`version`, `groupKey`, `truncatedAlerts`, `status`, `receiver`, `groupLabels`,
`commonLabels`, `commonAnnotations`, `externalURL`, `alerts[]`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

ZERO_TIME_YEAR = 1  # Alertmanager sends endsAt "0001-01-01T00:00:00Z" while an alert fires


class Alert(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: datetime
    endsAt: datetime | None = None
    generatorURL: str = ""
    fingerprint: str = Field(min_length=1)

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "unnamed alert")

    @property
    def ended_at(self) -> datetime | None:
        if self.endsAt is None or self.endsAt.year <= ZERO_TIME_YEAR:
            return None
        return self.endsAt


class AlertGroup(BaseModel):
    """One Alertmanager notification: a group of alerts sent to one receiver."""

    model_config = ConfigDict(extra="ignore")

    version: Literal["4"]
    groupKey: str = Field(min_length=1)
    truncatedAlerts: int = 0
    status: Literal["firing", "resolved"]
    receiver: str = Field(min_length=1)
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    alerts: list[Alert] = Field(min_length=1)

    @property
    def incident_key(self) -> str:
        """One incident per (receiver, groupKey), hashed to a compact, Redis-safe id."""
        return _digest(self.receiver, self.groupKey)[:24]

    @property
    def idempotency_key(self) -> str:
        """Equal for the same notification sent twice (HA pairs, retries), different on any change."""
        states = sorted(
            (a.fingerprint, a.status, a.startsAt.isoformat(), a.ended_at.isoformat() if a.ended_at else "")
            for a in self.alerts
        )
        return _digest(self.receiver, self.groupKey, self.status, json.dumps(states), str(self.truncatedAlerts))

    @property
    def firing(self) -> list[Alert]:
        return [a for a in self.alerts if a.status == "firing"]

    @property
    def alertname(self) -> str:
        names = sorted({a.name for a in self.alerts})
        return self.commonLabels.get("alertname") or ", ".join(names)


class Command(BaseModel):
    """A slash command from a chat platform (`/oncall help`, `/ceph ...`)."""

    platform: Literal["slack", "mattermost", "console"]
    channel: str
    user: str = ""
    name: str
    text: str = ""
    response_url: str | None = None
    thread_id: str | None = Field(None, description="the message a mention came from; its answer goes in that thread")
    incident_key: str | None = Field(None, description="set by the worker when the thread is an incident card's")


class Mention(BaseModel):
    platform: Literal["slack", "mattermost", "console"]
    channel: str
    user: str = ""
    text: str
    thread_id: str | None = None


class Action(BaseModel):
    """A button press: which action, the value the card carried, and where the card lives."""

    platform: Literal["slack", "mattermost", "console"]
    channel: str
    user: str = ""
    action: str
    value: str = ""
    post_id: str | None = None


class InvalidPayload(ValueError):
    """A payload that is not valid JSON or not a webhook v4 document; `str()` names the field."""


def parse_alert_group(body: bytes | str) -> AlertGroup:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidPayload(f"body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidPayload("body must be a JSON object (an Alertmanager webhook v4 notification)")
    try:
        return AlertGroup.model_validate(data)
    except ValidationError as exc:
        raise InvalidPayload(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError, limit: int = 3) -> str:
    """'alerts.0.fingerprint: Field required; status: ...' — the field path first, then the reason."""
    parts = []
    for err in exc.errors()[:limit]:
        path = ".".join(str(p) for p in err["loc"]) or "(body)"
        parts.append(f"{path}: {err['msg']}")
    more = len(exc.errors()) - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "invalid webhook payload: " + "; ".join(parts)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
