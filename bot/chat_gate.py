"""A platform-wide pause after a chat API answers 429.

Slack and Mattermost rate-limit the app, not one request: when one delivery is told "retry after
N s", every other delivery to that platform waits too, instead of spending its own request on
another 429. The pause is a Redis key with a TTL, so it holds across workers and hosts.
"""

from __future__ import annotations

from typing import cast

import redis

PREFIX = "opsbot:chat-pause:"

# Extend a pause, never shorten it: two 429s in a row keep the longer wait.
_HOLD = """
local left = redis.call('PTTL', KEYS[1])
if left < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 1
"""


class ChatGate:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._hold = client.register_script(_HOLD)

    def wait_s(self, platform: str) -> float:
        """Seconds left in the platform's pause (0 when there is none)."""
        left = cast("int", self.client.pttl(PREFIX + platform))
        return max(0, left) / 1000

    def hold(self, platform: str, seconds: float) -> None:
        if seconds > 0:
            self._hold(keys=[PREFIX + platform], args=[int(seconds * 1000)])
