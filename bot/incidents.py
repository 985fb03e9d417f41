"""Incident state in Redis, so that any worker can update any card.

One incident per Alertmanager group (receiver + groupKey). It lives in one Redis hash:
- `meta`: the `IncidentMeta` JSON (alerts by fingerprint, status, the current card and its version),
  written only by the alert task under the incident lock;
- `post:<channel>`, `delivered:<channel>`, `notes:<channel>`: per chat channel, written only by the
  delivery task for that channel under its own lock.
Separate fields mean the two writers never overwrite each other's data.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal, cast

import redis
from pydantic import BaseModel, Field

from core.cards import Card
from core.enrichment import Enrichment
from core.events import Alert, AlertGroup
from handlers.triage import enriched_card
from handlers.wrapup import where
from integrations.chat import PostRef

KEY_PREFIX = "opsbot:incident:"
THREAD_PREFIX = "opsbot:thread:"  # <platform>:<post id of a card> -> the incident it shows
RESOLVED_TTL_S = 7 * 86400
THREAD_TTL_S = 30 * 86400


class AlertState(BaseModel):
    status: Literal["firing", "resolved"]
    name: str
    startsAt: datetime
    endsAt: datetime | None = None
    where: str = Field("", description="pod/instance/node/namespace labels, for timelines")


class IncidentMeta(BaseModel):
    key: str
    receiver: str
    group_key: str
    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(default_factory=dict)
    alerts: dict[str, AlertState] = Field(default_factory=dict)
    first_received_at: float
    first_seen: datetime
    last_signature: str = ""
    base_card: Card | None = None
    enrichment: Enrichment | None = None
    version: int = 0
    channels: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="thread replies, in order")
    wrapped_up: bool = Field(False, description="the resolve summary is in the notes (reset when it fires again)")
    thread_id: str | None = Field(None, description="post the card in this thread (a mention's answer)")

    @property
    def card(self) -> Card | None:
        """What the channels show: the alert's card with whatever enrichment has arrived."""
        if self.base_card is None or self.enrichment is None:
            return self.base_card
        return enriched_card(self.base_card, self.enrichment)


class Change(BaseModel):
    """What a notification changed in an incident."""

    new_incident: bool = False
    joined: list[str] = Field(default_factory=list)
    left: list[str] = Field(default_factory=list)
    status_changed: bool = False
    stale: list[str] = Field(default_factory=list)

    @property
    def anything(self) -> bool:
        return self.new_incident or bool(self.joined) or bool(self.left) or self.status_changed


def merge_notification(meta: IncidentMeta, group: AlertGroup) -> Change:
    """Fold a notification into the incident. A late retry of an older notification (an alert
    that already resolved, sent again as firing with the same startsAt) changes nothing."""
    change = Change()
    for alert in group.alerts:
        known = meta.alerts.get(alert.fingerprint)
        if known and _is_stale(known, alert):
            change.stale.append(alert.fingerprint)
            continue
        if alert.status == "firing" and (known is None or known.status == "resolved"):
            change.joined.append(alert.fingerprint)
        elif alert.status == "resolved" and (known is None or known.status == "firing"):
            change.left.append(alert.fingerprint)
        meta.alerts[alert.fingerprint] = AlertState(
            status=alert.status, name=alert.name, startsAt=alert.startsAt, endsAt=alert.ended_at,
            where=where(alert.labels),
        )
    status: Literal["firing", "resolved"] = (
        "firing" if any(a.status == "firing" for a in meta.alerts.values()) else "resolved"
    )
    change.status_changed = status != meta.status
    meta.status = status
    return change


def _is_stale(known: AlertState, incoming: Alert) -> bool:
    return known.status == "resolved" and incoming.status == "firing" and incoming.startsAt <= known.startsAt


class IncidentStore:
    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    @staticmethod
    def key(incident_key: str) -> str:
        return KEY_PREFIX + incident_key

    def lock(self, incident_key: str, suffix: str = "", timeout: float = 60.0) -> redis.lock.Lock:
        return self.redis.lock(f"{self.key(incident_key)}:lock{suffix}", timeout=timeout, blocking_timeout=timeout)

    def _get(self, incident_key: str, field: str) -> bytes | None:
        # redis-py's sync client is typed as "maybe awaitable"; it returns bytes here.
        return cast("bytes | None", self.redis.hget(self.key(incident_key), field))

    def _set(self, incident_key: str, field: str, value: str | int) -> None:
        self.redis.hset(self.key(incident_key), field, str(value))

    def load(self, incident_key: str) -> IncidentMeta | None:
        raw = self._get(incident_key, "meta")
        return IncidentMeta.model_validate_json(raw) if raw else None

    def save(self, meta: IncidentMeta) -> None:
        key = self.key(meta.key)
        pipe = self.redis.pipeline()
        pipe.hset(key, "meta", meta.model_dump_json())
        if meta.status == "resolved":
            pipe.expire(key, RESOLVED_TTL_S)
        else:
            pipe.persist(key)
        pipe.execute()

    def post_ref(self, incident_key: str, channel: str) -> PostRef | None:
        raw = self._get(incident_key, f"post:{channel}")
        return PostRef.model_validate_json(raw) if raw else None

    def set_post_ref(self, incident_key: str, channel: str, ref: PostRef) -> None:
        self._set(incident_key, f"post:{channel}", ref.model_dump_json())

    def index_thread(self, platform: str, post_id: str, incident_key: str) -> None:
        """Remember which incident a posted card shows, so a mention in its thread can be answered about it."""
        self.redis.set(f"{THREAD_PREFIX}{platform}:{post_id}", incident_key, ex=THREAD_TTL_S)

    def incident_for_thread(self, platform: str, root_id: str) -> str | None:
        raw = cast("bytes | None", self.redis.get(f"{THREAD_PREFIX}{platform}:{root_id}"))
        return raw.decode() if raw else None

    def delivered_version(self, incident_key: str, channel: str) -> int:
        raw = self._get(incident_key, f"delivered:{channel}")
        return int(raw) if raw else 0

    def set_delivered(self, incident_key: str, channel: str, version: int) -> None:
        self._set(incident_key, f"delivered:{channel}", version)

    def set_gave_up(self, incident_key: str, channel: str, version: int) -> None:
        """A delivery that will not be retried (fatal platform error, retries spent); the next
        identical notification tries again."""
        self._set(incident_key, f"gave_up:{channel}", version)

    def set_backing_off(self, incident_key: str, channel: str, seconds: float) -> None:
        self.redis.set(f"{self.key(incident_key)}:backoff:{channel}", "1", ex=max(1, int(seconds) + 1))

    def delivery_state(self, incident_key: str, channel: str, version: int) -> Literal["settled", "backoff", "missing"]:
        """Whether `channel` shows `version` (or its delivery was given up), is retrying, or shows nothing of it."""
        fields = self.redis.hmget(self.key(incident_key), [f"delivered:{channel}", f"gave_up:{channel}"])
        delivered, gave_up = (int(raw) if raw else 0 for raw in cast("list[bytes | None]", fields))
        if max(delivered, gave_up) >= version:
            return "settled"
        if self.redis.exists(f"{self.key(incident_key)}:backoff:{channel}"):
            return "backoff"
        return "missing"

    def notes_sent(self, incident_key: str, channel: str) -> int:
        raw = self._get(incident_key, f"notes:{channel}")
        return int(raw) if raw else 0

    def set_notes_sent(self, incident_key: str, channel: str, count: int) -> None:
        self._set(incident_key, f"notes:{channel}", count)

    def images_sent(self, incident_key: str, channel: str) -> list[str]:
        """Digests of the graphs already attached in this channel's thread of the card."""
        raw = self._get(incident_key, f"images:{channel}")
        return [str(d) for d in json.loads(raw)] if raw else []

    def add_image_sent(self, incident_key: str, channel: str, digest: str) -> None:
        self._set(incident_key, f"images:{channel}",
                  json.dumps([*self.images_sent(incident_key, channel), digest]))
