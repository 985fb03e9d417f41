"""Per-process wiring for workers: settings, the Redis client, incident store, chat channels.

Built lazily once per process (Celery forks children; each builds its own connections).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import redis

from bot.chat_gate import ChatGate
from bot.config import Settings, get_settings
from bot.incidents import IncidentStore
from bot.metrics import SharedMetrics
from integrations.chat import ChatChannel, RedactingChannel


@dataclass
class Runtime:
    settings: Settings
    redis: redis.Redis
    store: IncidentStore
    metrics: SharedMetrics
    gate: ChatGate
    channels: dict[str, ChatChannel] = field(default_factory=dict)


def build_channels(settings: Settings) -> dict[str, ChatChannel]:
    """The chat platforms to post to: Slack and/or Mattermost when configured, else the console."""
    channels: dict[str, ChatChannel] = {}
    if settings.slack.enabled and settings.slack.bot_token:
        from integrations.slack import SlackChannel

        channels["slack"] = SlackChannel(token=settings.slack.bot_token.get_secret_value(),
                                         base_url=settings.slack.api_url)
    if settings.mattermost.enabled and settings.mattermost.token:
        from integrations.mattermost import MattermostChannel

        secret = settings.mattermost.action_secret
        channels["mattermost"] = MattermostChannel(url=settings.mattermost.url,
                                                   token=settings.mattermost.token.get_secret_value(),
                                                   team=settings.mattermost.team,
                                                   basepath=settings.mattermost.basepath,
                                                   action_url=settings.mattermost_action_url,
                                                   action_secret=secret.get_secret_value() if secret else "")
    if settings.console_enabled:
        from integrations.console import ConsoleChannel

        channels["console"] = ConsoleChannel(settings.cards_path)
    return {platform: RedactingChannel(channel) for platform, channel in channels.items()}


@cache
def runtime() -> Runtime:
    settings = get_settings()
    if not settings.redis_url:
        raise RuntimeError("OPSBOT_REDIS_URL is not set (opsbot up sets it for the embedded Valkey)")
    client = redis.Redis.from_url(settings.redis_url)
    return Runtime(settings=settings, redis=client, store=IncidentStore(client),
                   metrics=SharedMetrics(client), gate=ChatGate(client),
                   channels=build_channels(settings))
