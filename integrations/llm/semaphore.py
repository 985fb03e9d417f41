"""A counting semaphore in Redis, so all workers on all hosts share one limit on LLM calls.

Holders are members of a sorted set scored by their lease expiry: a worker that dies while holding
a slot frees it when the lease runs out, so the limit can never leak. Acquire is one Lua call
(drop expired leases, count, add) so two workers can never both take the last slot.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

import redis

KEY = "opsbot:llm:semaphore"

_ACQUIRE = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[4])
  return 1
end
return 0
"""


class SlotTimeout(TimeoutError):
    """No LLM slot became free in time: the server is busy with other cards."""


class RedisSemaphore:
    def __init__(self, client: redis.Redis, limit: int, *, key: str = KEY) -> None:
        self.redis = client
        self.limit = limit
        self.key = key
        self._acquire = client.register_script(_ACQUIRE)

    def try_acquire(self, token: str, lease_s: float) -> bool:
        return bool(self._acquire(keys=[self.key], args=[time.time(), self.limit, lease_s, token]))

    def release(self, token: str) -> None:
        self.redis.zrem(self.key, token)

    def holders(self) -> int:
        self.redis.zremrangebyscore(self.key, "-inf", time.time())
        return cast(int, self.redis.zcard(self.key))

    @contextmanager
    def slot(self, *, wait_s: float, lease_s: float) -> Iterator[float]:
        """Hold one slot for the block; yields the seconds spent waiting. Raises SlotTimeout."""
        token = uuid.uuid4().hex
        started = time.monotonic()
        delay = 0.02
        while not self.try_acquire(token, lease_s):
            if time.monotonic() - started >= wait_s:
                raise SlotTimeout(f"no free LLM slot within {wait_s:g} s ({self.limit} in use)")
            time.sleep(delay)
            delay = min(0.25, delay * 2)
        try:
            yield time.monotonic() - started
        finally:
            self.release(token)
