"""Correlation without storms: incidents that share a node, namespace or instance label and start within
`WINDOW_S` of each other get a "related: ..." line naming each other's cards.

An index per label value (a Redis sorted set of incident keys by start time, expiring after the
window) finds the neighbours in one query per label; each incident keeps the set of its related ones
so that both cards can say it.
"""

from __future__ import annotations

from typing import cast

import redis

from core.cards import CardField

PREFIX = "opsbot:corr:"
CORRELATING_LABELS = ("node", "namespace", "instance")
WINDOW_S = 300.0
MAX_RELATED = 5
FIELD = "related"


class Correlator:
    def __init__(self, client: redis.Redis, window_s: float = WINDOW_S) -> None:
        self.redis = client
        self.window_s = window_s

    def link(self, incident_key: str, labels: dict[str, str], started: float) -> list[str]:
        """Index a new incident and return the incidents it is related to (and now linked with, both ways)."""
        related: list[str] = []
        pipe = self.redis.pipeline()
        for label in CORRELATING_LABELS:
            if labels.get(label):
                key = f"{PREFIX}{label}={labels[label]}"
                pipe.zrangebyscore(key, started - self.window_s, started + self.window_s)
                pipe.zadd(key, {incident_key: started})
                pipe.expire(key, int(self.window_s * 2) + 1)
        for found in pipe.execute()[::3]:
            for raw in cast("list[bytes]", found):
                other = raw.decode()
                if other != incident_key and other not in related:
                    related.append(other)
        related = related[:MAX_RELATED]
        if related:
            pipe = self.redis.pipeline()
            for other in related:
                pipe.sadd(f"{PREFIX}rel:{other}", incident_key)
                pipe.expire(f"{PREFIX}rel:{other}", 7 * 86400)
            pipe.sadd(f"{PREFIX}rel:{incident_key}", *related)
            pipe.expire(f"{PREFIX}rel:{incident_key}", 7 * 86400)
            pipe.execute()
        return related

    def related(self, incident_key: str) -> list[str]:
        raw = cast("set[bytes]", self.redis.smembers(f"{PREFIX}rel:{incident_key}"))
        return sorted(r.decode() for r in raw)[:MAX_RELATED]


def related_field(descriptions: list[str]) -> list[CardField]:
    """`related: KubePodCrashLooping namespace=shop (card in #oncall), ...`"""
    return [CardField(name=FIELD, value="; ".join(descriptions), short=False)] if descriptions else []
