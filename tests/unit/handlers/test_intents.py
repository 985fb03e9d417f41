"""Mentions are routed by content: pasted Ceph or Redis output, log questions, configuration, questions."""

from __future__ import annotations

import pytest

from bot.commands import command_for_mention
from core.events import Mention
from handlers.intents import route, strip_mentions
from tests.support.paths import TEST_DATA

DATA = TEST_DATA


@pytest.mark.parametrize(("text", "kind"), [
    ("<@U0BOT001> help", "help"),
    ("@opsbot", "help"),
    ((DATA / "ceph" / "health-detail-osd-down.txt").read_text(), "ceph"),
    ((DATA / "ceph" / "status-osd-down.txt").read_text(), "ceph"),
    ((DATA / "ceph" / "health-detail-osd-down.json").read_text(), "ceph"),
    ((DATA / "redis" / "info-7.0-primary.txt").read_text(), "redis"),
    ((DATA / "redis" / "slowlog-7.0.txt").read_text(), "redis"),
    ("<@U0BOT001> show me 5xx logs of nginx for the last 3 hours", "logs"),
    ("покажи ошибки 500 nginx за последние 3 часа", "logs"),
    ("receivers:\n  otlp:\n    protocols: {grpc: {}}\nexporters:\n  debug: {}", "config"),
    ("<@U0BOT001|opsbot> how do I give a new engineer access to the staging cluster?", "ask"),
    ("что мы делали, когда сломался CoreDNS?", "ask"),
])
def test_route(text: str, kind: str) -> None:
    assert route(text).kind == kind


def test_strip_mentions_keeps_the_question() -> None:
    assert strip_mentions("<@U0BOT001> what is OSD_DOWN?") == "what is OSD_DOWN?"
    assert strip_mentions("@opsbot what is OSD_DOWN?") == "what is OSD_DOWN?"


def test_mention_becomes_a_command() -> None:
    cmd = command_for_mention(Mention(platform="slack", channel="C1", user="alice",
                                      text="<@U0BOT001> why is redis slow?", thread_id="1.2"))
    assert (cmd.name, cmd.text, cmd.channel, cmd.thread_id) == ("ask", "why is redis slow?", "C1", "1.2")
    assert command_for_mention(Mention(platform="mattermost", channel="c", text="@opsbot")).name == "oncall"
