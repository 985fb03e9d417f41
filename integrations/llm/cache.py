"""Answer cache in Redis keyed by (model, prompt hash): the same evidence never costs a second call."""

from __future__ import annotations

import hashlib
from typing import cast

import redis

PREFIX = "opsbot:llm:cache:"


def prompt_hash(model: str, *parts: str) -> str:
    digest = hashlib.sha256(model.encode())
    for part in parts:
        digest.update(b"\x00" + part.encode())
    return digest.hexdigest()


class LLMResponseCache:
    def __init__(self, client: redis.Redis, ttl_s: int) -> None:
        self.redis = client
        self.ttl_s = ttl_s

    def get(self, key: str) -> str | None:
        if self.ttl_s <= 0:
            return None
        raw = cast("bytes | None", self.redis.get(PREFIX + key))
        return raw.decode() if raw is not None else None

    def put(self, key: str, answer: str) -> None:
        if self.ttl_s > 0:
            self.redis.set(PREFIX + key, answer, ex=self.ttl_s)
