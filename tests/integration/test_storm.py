"""Storms on real parts: a real Alertmanager sends 50 groups to the bot's tasks (run here, on a real
Redis); the channel gets the first cards, then one digest updated in place, and one wrap-up on resolve."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib

from bot.runtime import Runtime
from tests.support.inprocess_bot import RecordingChannel, inprocess_bot, webhook_into_tasks
from tests.support.servers import alertmanager_server, post_alerts, wait_until

NAMES = ("KubeNodeNotReady", "KubePodCrashLooping", "KubePodNotReady", "TargetDown", "KubeContainerWaiting")


def storm_alerts(count: int, *, ends: datetime | None = None, start: int = 0) -> list[dict[str, Any]]:
    """`count` groups (alertname x namespace); 41 of every 50 on node worker-3, NodeNotReady first."""
    now = datetime.now(UTC)
    alerts = []
    for i in range(start, start + count):
        node = "worker-3" if i % 50 < 41 else f"worker-{10 + i % 7}"
        alert: dict[str, Any] = {
            "labels": {"alertname": NAMES[i % len(NAMES)], "namespace": f"ns-{i // len(NAMES)}", "node": node,
                       "severity": "warning", "pod": f"app-{i}"},
            "annotations": {"summary": f"alert {i}"},
            "startsAt": (now - timedelta(minutes=10) + timedelta(seconds=0 if i == 0 else 5)).isoformat(),
        }
        if ends is not None:
            alert["endsAt"] = ends.isoformat()
        alerts.append(alert)
    return alerts


@pytest.fixture
def bot(clean_redis: redis_lib.Redis, redis_url: str, tmp_path: Path) -> Iterator[Runtime]:
    with inprocess_bot(redis_url, tmp_path / "data") as rt:
        yield rt


def _recorder(rt: Runtime) -> RecordingChannel:
    return rt.channels["console"].inner  # type: ignore[attr-defined]


def _digests(chat: RecordingChannel) -> list[str]:
    return [e.post_id for e in chat.of("post") if e.card and e.card.title.startswith("Alert storm")]


def test_fifty_groups_one_digest_late_member_and_one_wrap_up(bot: Runtime, tmp_path: Path) -> None:
    chat = _recorder(bot)
    with webhook_into_tasks() as hook, alertmanager_server(tmp_path, hook, group_interval="1s") as am:
        post_alerts(am.url, storm_alerts(50))
        _wait(lambda: len({k for d in _digests(chat) for k in [d]}) == 1 and _members(bot, chat) == 50,
                   timeout=30, what="a digest of 50")
        posts = chat.of("post")
        assert len(_digests(chat)) == 1
        assert len(posts) == 9  # the 8 first cards (threshold 8 in 60 s), then the digest
        digest_id = _digests(chat)[0]
        card = chat.latest(digest_id)
        assert card is not None
        assert "41 of 50 share node=worker-3; KubeNodeNotReady fired first" in card.text
        assert card.field("open") == "50"

        post_alerts(am.url, storm_alerts(1, start=50))  # a late member joins the digest, no card of its own
        _wait(lambda: _members(bot, chat) == 51, timeout=15, what="the late member in the digest")
        assert len(chat.of("post")) == 9

        post_alerts(am.url, storm_alerts(51, ends=datetime.now(UTC) - timedelta(seconds=1)))
        _wait(lambda: (chat.latest(digest_id) or card).field("resolved") == "51", timeout=30,
                   what="every member resolved")
    _wait(lambda: len(chat.of("reply")) >= 1, timeout=5, what="the wrap-up")
    replies = chat.of("reply")
    assert len(replies) == 1 and replies[0].post_id == digest_id  # one wrap-up, on the digest
    assert "Storm over" in replies[0].text
    assert bot.redis.exists("opsbot:budget:arrivals:oncall")
    stored = [bot.store.load(k) for k in _member_keys(bot)]
    assert len(stored) == 51 and all(m is not None and m.status == "resolved" for m in stored)


def _wait(check: Callable[[], bool], timeout: float, what: str) -> None:
    """wait_until, failing as an assertion (a TimeoutError inside a server's block reads as its start-up)."""
    try:
        wait_until(check, timeout=timeout, what=what)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


def _member_keys(rt: Runtime) -> list[str]:
    return [k.decode().removeprefix("opsbot:storm:member:") for k in rt.redis.scan_iter("opsbot:storm:member:*")]


def _members(rt: Runtime, chat: RecordingChannel) -> int:
    digests = _digests(chat)
    if not digests:
        return 0
    card = chat.latest(digests[0])
    return int(card.field("incidents") or 0) if card else 0
