"""The link allowlist: built from the configured systems and `links.allowed_hosts`, never from what a
notification says about itself, and handed to every chat channel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.runtime import CHAT_CHANNELS
from integrations.neutralise import LinkPolicy

pytestmark = pytest.mark.usefixtures("without_opsbot_env", "without_opsbot_config")


def _settings(**values: Any) -> Settings:
    return Settings(**values)


def test_the_allowlist_is_the_configured_systems_plus_the_setting() -> None:
    settings = _settings(
        prometheus={"url": "http://prometheus.example.internal:9090"},
        opensearch={"url": "https://os.example.internal:9200", "dashboards_url": "https://logs.example.internal/"},
        mattermost={"url": "https://chat.example.internal", "token": "t"},
        knowledge={"postmortem_hosts": ["wiki.example.internal"]},
        links={"allowed_hosts": ["alertmanager.example.internal", "*.grafana.example.internal"]},
        web={"public_url": "https://opsbot.example.internal"},
    )
    policy = LinkPolicy.of(settings.link_hosts)
    assert policy.hosts == {"prometheus.example.internal", "logs.example.internal", "docs.ceph.com",
                            "chat.example.internal", "wiki.example.internal", "alertmanager.example.internal",
                            "grafana.example.internal", "opsbot.example.internal"}
    assert policy.allows("https://alertmanager.example.internal/#/silences/new")
    assert policy.allows("https://eu.grafana.example.internal/d/x")
    assert not policy.allows("https://os.example.internal:9200/")  # the search API is not a page to open


def test_without_configuration_only_the_ceph_docs_are_allowed() -> None:
    assert LinkPolicy.of(_settings().link_hosts).hosts == {"docs.ceph.com"}


def test_slack_adds_its_own_host() -> None:
    assert "slack.com" in _settings(slack={"bot_token": "xoxb-1"}).link_hosts


def test_every_chat_channel_gets_the_allowlist(tmp_path: Path) -> None:
    settings = _settings(data_dir=tmp_path, slack={"bot_token": "xoxb-1"},
                         mattermost={"url": "https://chat.example.internal", "token": "t"},
                         console={"enabled": "on"}, links={"allowed_hosts": ["runbooks.example.internal"]},
                         webchat={"enabled": True}, redis_url="redis://127.0.0.1:1/0")
    for platform, factory in CHAT_CHANNELS.items():
        channel = factory(settings)
        assert channel is not None, platform
        links = channel.links
        assert links.allows("https://runbooks.example.internal/x"), platform
        assert not links.allows("https://evil.example/x"), platform
