"""The platform-wide pause after a 429, on a real Redis."""

from __future__ import annotations

import redis as redis_lib

from bot.chat_gate import ChatGate


def test_pause_is_shared_and_only_extended(clean_redis: redis_lib.Redis) -> None:
    gate = ChatGate(clean_redis)
    assert gate.wait_s("slack") == 0
    gate.hold("slack", 5)
    assert 4 < ChatGate(redis_lib.Redis(connection_pool=clean_redis.connection_pool)).wait_s("slack") <= 5
    gate.hold("slack", 1)  # a shorter wait does not cut the longer one
    assert gate.wait_s("slack") > 4
    gate.hold("slack", 9)
    assert gate.wait_s("slack") > 8
    assert gate.wait_s("mattermost") == 0
