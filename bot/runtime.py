"""Per-process wiring for workers: settings, the Redis client, incident store, chat channels.

Built lazily once per process (Celery forks children; each builds its own connections).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import redis

from bot.chat_gate import ChatGate
from bot.config import Settings, get_settings
from bot.incidents import IncidentStore
from bot.metrics import SharedMetrics
from integrations.chat import ChatChannel, RedactingChannel
from integrations.neutralise import LinkPolicy


@dataclass
class Runtime:
    settings: Settings
    redis: redis.Redis
    store: IncidentStore
    metrics: SharedMetrics
    gate: ChatGate
    channels: dict[str, ChatChannel] = field(default_factory=dict)


def _slack(settings: Settings) -> ChatChannel | None:
    if not (settings.slack.enabled and settings.slack.bot_token):
        return None
    from integrations.slack import SlackChannel

    return SlackChannel(token=settings.slack.bot_token.get_secret_value(), base_url=settings.slack.api_url,
                        links=LinkPolicy.of(settings.link_hosts))


def _mattermost(settings: Settings) -> ChatChannel | None:
    mattermost = settings.mattermost
    if not (mattermost.enabled and mattermost.token):
        return None
    from integrations.mattermost import MattermostChannel

    secret = mattermost.action_secret
    return MattermostChannel(url=mattermost.url, token=mattermost.token.get_secret_value(), team=mattermost.team,
                             basepath=mattermost.basepath, action_url=settings.mattermost_action_url,
                             action_secret=secret.get_secret_value() if secret else "",
                             links=LinkPolicy.of(settings.link_hosts))


def _console(settings: Settings) -> ChatChannel | None:
    if not settings.console_enabled:
        return None
    from integrations.console import ConsoleChannel

    return ConsoleChannel(settings.cards_path, links=LinkPolicy.of(settings.link_hosts))


def _web(settings: Settings) -> ChatChannel | None:
    if not (settings.webchat.enabled and settings.redis_url):
        return None
    from integrations.webchat.store import WebChannel

    return WebChannel(redis.Redis.from_url(settings.redis_url), max_posts=settings.webchat.max_cards,
                      links=LinkPolicy.of(settings.link_hosts))


# The chat channel registry: platform -> a factory that returns None when the platform is not configured.
CHAT_CHANNELS: dict[str, Callable[[Settings], ChatChannel | None]] = {
    "slack": _slack,
    "mattermost": _mattermost,
    "console": _console,
    "web": _web,
}


def build_channels(settings: Settings) -> dict[str, ChatChannel]:
    """The chat platforms to post to: Slack and/or Mattermost when configured, else the console;
    every one redacts what it sends."""
    built = {platform: factory(settings) for platform, factory in CHAT_CHANNELS.items()}
    return {platform: RedactingChannel(channel) for platform, channel in built.items() if channel is not None}


@cache
def runtime() -> Runtime:
    settings = get_settings()
    if not settings.redis_url:
        raise RuntimeError("OPSBOT_REDIS_URL is not set (opsbot up sets it for the embedded Valkey)")
    client = redis.Redis.from_url(settings.redis_url)
    return Runtime(settings=settings, redis=client, store=IncidentStore(client),
                   metrics=SharedMetrics(client), gate=ChatGate(client),
                   channels=build_channels(settings))
