"""Inbound events (Alertmanager groups, chat commands, mentions, button actions).

The Alertmanager models follow the webhook payload format version 4 as documented by
Alertmanager (`version`, `groupKey`, `truncatedAlerts`, `status`, `receiver`, `groupLabels`,
`commonLabels`, `commonAnnotations`, `externalURL`, `alerts[]`).

Validation checks everything the worker relies on, so that an accepted notification always becomes
a card: JSON that Python can hold (nesting at most `MAX_JSON_DEPTH`, no integer past Python's
4,300-digit limit, no NaN), strings that UTF-8 can encode (no lone surrogate: Redis, Celery and the
chat APIs all need UTF-8), and times in UTC. A time without a zone is read as UTC rather than
refused: Alertmanager itself always writes RFC 3339 with `Z`, hand-written and scripted senders
that leave the zone off mean UTC, and refusing would lose a real alert over a formality; mixing
naive and aware times is then harmless, because every time is aware.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

ZERO_TIME_YEAR = 1  # Alertmanager sends endsAt "0001-01-01T00:00:00Z" while an alert fires
MAX_JSON_DEPTH = 64  # a webhook is 4 deep, a Slack interaction payload about 12
MAX_TRUNCATED = 10**9


def _in_utc(value: datetime) -> datetime:
    """Aware and in UTC: a naive time is taken as UTC (see the module doc)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range once converted to UTC") from None


UtcDatetime = Annotated[datetime, AfterValidator(_in_utc)]


class Alert(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: UtcDatetime
    endsAt: UtcDatetime | None = None
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
    truncatedAlerts: int = Field(0, ge=0, le=MAX_TRUNCATED)
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


# Where an event came from: the chat platforms, the web channel and the OpenAI-compatible endpoint.
Platform = Literal["slack", "mattermost", "console", "web", "openai"]


class Command(BaseModel):
    """A slash command from a chat platform (`/oncall help`, `/ceph ...`)."""

    platform: Platform
    channel: str
    user: str = ""
    name: str
    text: str = ""
    response_url: str | None = None
    thread_id: str | None = Field(None, description="the message a mention came from; its answer goes in that thread")
    incident_key: str | None = Field(None, description="set by the worker when the thread is an incident card's")


class Mention(BaseModel):
    platform: Platform
    channel: str
    user: str = ""
    text: str
    thread_id: str | None = None


class Action(BaseModel):
    """A button press: which action, the value the card carried, and where the card lives."""

    platform: Platform
    channel: str
    user: str = ""
    action: str
    value: str = ""
    post_id: str | None = None
    user_id: str = Field("", description="the clicker's id as the platform reports it (membership checks)")
    text: str = Field("", description="text the person typed with the press (\"wrong cause\" with a reason)")


class InvalidPayload(ValueError):
    """A payload that is not valid JSON or not a webhook v4 document; `str()` names the field."""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load_json(body: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """JSON as Python values, or InvalidPayload saying what is wrong: not UTF-8, not JSON, nested
    deeper than `max_depth`, an integer past Python's digit limit, NaN/Infinity, or a string UTF-8
    cannot encode (a lone surrogate written as `\\ud800`)."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError as exc:
        raise InvalidPayload(f"body is not UTF-8: {exc.reason} at byte {exc.start}") from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InvalidPayload(f"body is not valid JSON: {exc}") from None
    except RecursionError:
        raise InvalidPayload(f"body is not valid JSON: nested deeper than {max_depth} levels") from None
    except ValueError as exc:  # an integer past sys.get_int_max_str_digits(), NaN, Infinity
        raise InvalidPayload(f"body is not valid JSON: {exc}") from None
    check_json(data, max_depth=max_depth)
    return data


def check_json(data: Any, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise InvalidPayload naming the path of the first value nested deeper than `max_depth` or of a
    string (value or key) UTF-8 cannot encode. Iterative: no recursion however deep the input."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > max_depth:
            raise InvalidPayload(f"{'.'.join(path[:3])}…: nested deeper than {max_depth} levels")
        if isinstance(value, str):
            _check_text(value, path)
        elif isinstance(value, dict):
            for key, item in value.items():
                _check_text(str(key), (*path, "(key)"))
                stack.append((item, (*path, str(key)[:40])))
        elif isinstance(value, list):
            stack.extend((item, (*path, str(i))) for i, item in enumerate(value))


def _check_text(value: str, path: tuple[str, ...]) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        where = ".".join(path) or "(body)"
        raise InvalidPayload(f"{where}: not valid Unicode (a lone surrogate at character {exc.start})") from None


def parse_alert_group(body: bytes | str) -> AlertGroup:
    data = load_json(body)
    if not isinstance(data, dict):
        raise InvalidPayload("body must be a JSON object (an Alertmanager webhook v4 notification)")
    try:
        return AlertGroup.model_validate(data)
    except ValidationError as exc:
        raise InvalidPayload(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError, limit: int = 3, what: str = "webhook payload") -> str:
    """'alerts.0.fingerprint: Field required; status: ...' — the field path first, then the reason."""
    parts = []
    for err in exc.errors()[:limit]:
        path = ".".join(str(p) for p in err["loc"]) or "(body)"
        parts.append(f"{path}: {err['msg']}")
    more = len(exc.errors()) - limit
    if more > 0:
        parts.append(f"and {more} more")
    return f"invalid {what}: " + "; ".join(parts)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
