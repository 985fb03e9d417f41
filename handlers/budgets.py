"""Budgets kept in Redis, shared by every worker: storm arrivals, posts per minute, LLM explanations per hour.

- arrivals: new incidents per channel in a sliding window (a sorted set of arrival times), for storms;
- posts: cards posted per channel in the last minute (sliding window), the post rate limit;
- LLM: explanations per channel and in all per clock hour (two counters taken together or not at all).
Each check is one round trip; keys expire on their own, so nothing here grows without bound.
"""

from __future__ import annotations

import uuid
from typing import Protocol, cast

import redis
from pydantic import BaseModel, Field

PREFIX = "opsbot:budget:"

# KEYS[1] the sorted set; ARGV: now, window, member. Adds, trims, counts, expires: one atomic step.
_SLIDING = """
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
redis.call('EXPIRE', KEYS[1], math.ceil(ARGV[2]) + 1)
return redis.call('ZCARD', KEYS[1])
"""
# KEYS: the channel's and the overall hour counters; ARGV: channel limit, overall limit. Returns 0 when
# taken, 1 when the channel's budget is spent, 2 when the overall one is.
_TAKE_BOTH = """
local c = tonumber(redis.call('GET', KEYS[1]) or '0')
local a = tonumber(redis.call('GET', KEYS[2]) or '0')
if c >= tonumber(ARGV[1]) then return 1 end
if a >= tonumber(ARGV[2]) then return 2 end
redis.call('INCR', KEYS[1]); redis.call('EXPIRE', KEYS[1], 7200)
redis.call('INCR', KEYS[2]); redis.call('EXPIRE', KEYS[2], 7200)
return 0
"""


class BudgetSettings(BaseModel):
    posts_per_minute: int = Field(20, ge=1, description="cards posted per channel per minute; beyond, new incidents "
                                                        "fold into the channel's storm digest")
    llm_per_hour_per_channel: int = Field(20, ge=0, description="LLM explanations per channel per hour")
    llm_per_hour: int = Field(60, ge=0, description="LLM explanations per hour in all")


class BudgetNeeds(Protocol):
    @property
    def budgets(self) -> BudgetSettings: ...


class Budgets:
    def __init__(self, client: redis.Redis) -> None:
        self.redis = client
        self._sliding = client.register_script(_SLIDING)
        self._take_both = client.register_script(_TAKE_BOTH)

    def arrivals(self, channel: str, now: float, window_s: float, member: str) -> int:
        """Record one new incident in `channel` and say how many arrived within `window_s` (itself included)."""
        return int(cast(int, self._sliding(keys=[f"{PREFIX}arrivals:{channel}"], args=[now, window_s, member])))

    def arrived_between(self, channel: str, start: float, end: float) -> int:
        """New incidents counted in `channel` between two times (the storm window's record, read only)."""
        return int(cast(int, self.redis.zcount(f"{PREFIX}arrivals:{channel}", start, end)))

    def posts_last_minute(self, channel: str, now: float) -> int:
        key = f"{PREFIX}posts:{channel}"
        self.redis.zremrangebyscore(key, "-inf", now - 60)
        return int(cast(int, self.redis.zcard(key)))

    def note_post(self, channel: str, now: float) -> None:
        self._sliding(keys=[f"{PREFIX}posts:{channel}"], args=[now, 60, f"{now}:{uuid.uuid4().hex[:8]}"])

    def take_llm(self, channel: str, now: float, settings: BudgetSettings) -> str | None:
        """Take one explanation from the hour's budgets; None when taken, else the footer line saying why not."""
        hour = int(now // 3600)
        spent = int(cast(int, self._take_both(keys=[f"{PREFIX}llm:{channel}:{hour}", f"{PREFIX}llm:*:{hour}"],
                                               args=[settings.llm_per_hour_per_channel, settings.llm_per_hour])))
        if spent == 0:
            return None
        if spent == 1:
            return (f"LLM budget reached: {settings.llm_per_hour_per_channel} explanations this hour in #{channel} "
                    "(budgets.llm_per_hour_per_channel); no explanation for this card")
        return (f"LLM budget reached: {settings.llm_per_hour} explanations this hour in all (budgets.llm_per_hour); "
                "no explanation for this card")
