"""/redis commands and settings for the Redis handler tests."""

from __future__ import annotations

from bot.config import Settings
from core.events import Command


def settings_for(**instances: str) -> Settings:
    return Settings(knowledge={"enabled": False}, redis_diagnosis={
        "instances": {name: {"url": url, "timeout_s": 1.0} for name, url in instances.items()},
        "sample_interval_s": 0.2, "triage_sample_interval_s": 0.2,
    })


def command(text: str) -> Command:
    return Command(platform="mattermost", channel="oncall", user="alice", name="redis", text=text)
