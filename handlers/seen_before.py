"""Seen before: a new incident that matches an earlier one (same alert name and identifying labels)
says when that was, how long it lasted, where its card is and what people wrote in its thread.

No LLM and no knowledge base: a bounded history per identity in Redis (the newest `MAX_ENTRIES`,
kept `RETENTION_S` = 30 days). Similar post-mortems still come from the knowledge base as before.
Identity is the alert name plus the labels that name a place (cluster, namespace, service, node,
instance, ...); labels that change with every occurrence (pod hashes, severity, the Prometheus
replica) are left out, so the same failure on the same workload matches across restarts.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import cast

import redis
from pydantic import BaseModel, Field

from core.cards import CardField
from handlers.triage import format_duration

PREFIX = "opsbot:seen:"
RETENTION_S = 30 * 86400
MAX_ENTRIES = 20
THREAD_LINES = 3
THREAD_LINE_CHARS = 160
IDENTIFYING_LABELS = ("cluster", "namespace", "service", "job", "deployment", "statefulset", "daemonset",
                      "container", "node", "instance", "device", "mountpoint", "ceph_daemon", "queue")
FIELD = "seen before"


def identity(alertname: str, labels: dict[str, str]) -> str:
    parts = [alertname, *(f"{k}={labels[k]}" for k in IDENTIFYING_LABELS if labels.get(k))]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


class HistoryEntry(BaseModel):
    incident_key: str
    alertname: str
    started: datetime
    resolved: datetime
    link: str = Field("", description="a permalink to the card, when the platform has one")
    where: str = Field("", description="platform:channel of the card, when no permalink")
    thread: list[str] = Field(default_factory=list, description="the first lines people wrote in its thread")


def seen_line(entry: HistoryEntry) -> str:
    """`Seen before: 2026-11-30 10:02 UTC, resolved after 12m, <link>; thread: "restarted the kubelet"`."""
    duration = format_duration((entry.resolved - entry.started).total_seconds())
    parts = [f"{entry.started.strftime('%Y-%m-%d %H:%M UTC')}, resolved after {duration}"]
    if entry.link or entry.where:
        parts.append(entry.link or entry.where)
    text = ", ".join(parts)
    if entry.thread:
        text += "; thread: " + " / ".join(f"“{line}”" for line in entry.thread)
    return text


def thread_lines(messages: list[str]) -> list[str]:
    lines = [line.strip() for text in messages for line in text.splitlines() if line.strip()]
    return [line if len(line) <= THREAD_LINE_CHARS else line[:THREAD_LINE_CHARS - 1] + "…"
            for line in lines[:THREAD_LINES]]


def previous(entries: list[HistoryEntry], started: datetime, now: datetime) -> HistoryEntry | None:
    """The newest earlier occurrence: resolved before this one started, within the retention."""
    fits = [e for e in entries if e.resolved <= started and (now - e.resolved).total_seconds() <= RETENTION_S]
    return max(fits, key=lambda e: e.resolved, default=None)


def seen_field(entry: HistoryEntry | None) -> list[CardField]:
    return [CardField(name=FIELD, value=seen_line(entry), short=False)] if entry else []


class History:
    """The bounded Redis list per identity: newest first, trimmed to MAX_ENTRIES, expiring after RETENTION_S."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    def record(self, identity_key: str, entry: HistoryEntry) -> None:
        key = PREFIX + identity_key
        known = self.entries(identity_key)
        if any(e.incident_key == entry.incident_key and e.started == entry.started for e in known):
            return  # a redelivered resolve
        pipe = self.redis.pipeline()
        pipe.lpush(key, entry.model_dump_json())
        pipe.ltrim(key, 0, MAX_ENTRIES - 1)
        pipe.expire(key, RETENTION_S)
        pipe.execute()

    def entries(self, identity_key: str) -> list[HistoryEntry]:
        raw = cast("list[bytes]", self.redis.lrange(PREFIX + identity_key, 0, MAX_ENTRIES - 1))
        return [HistoryEntry.model_validate(json.loads(item)) for item in raw]
