"""Budgets, "seen before" and correlation through the real tasks on a real Redis (tasks run here)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib

from bot import tasks
from bot.runtime import Runtime
from integrations.chat import ThreadMessage
from tests.support.fakes.openai_api import FakeOpenAI
from tests.support.inprocess_bot import RecordingChannel, inprocess_bot


def group(n: int, *, status: str = "firing", starts: datetime | None = None, ends: datetime | None = None,
          labels: dict[str, str] | None = None, group_key: str | None = None) -> dict[str, Any]:
    starts = starts or datetime.now(UTC) - timedelta(minutes=1)
    alert_labels = {"alertname": "KubePodCrashLooping", "namespace": f"ns-{n}", "severity": "warning",
                    **(labels or {})}
    alert: dict[str, Any] = {"status": status, "labels": alert_labels, "annotations": {"summary": f"pod {n} crashes"},
                             "startsAt": starts.isoformat(), "fingerprint": f"fp-{n}-{alert_labels['namespace']}"}
    if ends is not None:
        alert["endsAt"] = ends.isoformat()
    return {"version": "4", "groupKey": group_key or f"{{}}:{{namespace=\"ns-{n}\"}}", "status": status,
            "receiver": "opsbot", "commonLabels": alert_labels, "alerts": [alert]}


def fire(payload: dict[str, Any]) -> None:
    tasks.process_alert_group(payload, datetime.now(UTC).timestamp())


def recorder(rt: Runtime) -> RecordingChannel:
    return rt.channels["console"].inner  # type: ignore[attr-defined]


@pytest.fixture
def llm_bot(clean_redis: redis_lib.Redis, redis_url: str, tmp_path: Path, fake_llm: FakeOpenAI) -> Iterator[Runtime]:
    with inprocess_bot(redis_url, tmp_path / "data", llm={"url": fake_llm.api_url, "gate": "off"},
                       budgets={"llm_per_hour_per_channel": 1}) as rt:
        yield rt


def test_llm_budget_reached_gives_a_footer_line_and_no_call(llm_bot: Runtime, fake_llm: FakeOpenAI) -> None:
    fire(group(1))
    calls = len(fake_llm.chat_requests())
    assert calls >= 1  # the first card is explained
    fire(group(2))
    assert len(fake_llm.chat_requests()) == calls  # the budget is spent: no call for the second
    second = [e for e in recorder(llm_bot).events if e.card and e.card.title == "pod 2 crashes"][-1].card
    assert second is not None
    assert "LLM budget reached: 1 explanations this hour in #oncall" in second.footer


@pytest.fixture
def bot(clean_redis: redis_lib.Redis, redis_url: str, tmp_path: Path) -> Iterator[Runtime]:
    with inprocess_bot(redis_url, tmp_path / "data", budgets={"posts_per_minute": 3},
                       storm={"threshold": 100}) as rt:
        yield rt


def test_post_budget_folds_new_cards_into_a_digest_with_a_footer_line(bot: Runtime) -> None:
    for n in range(5):
        fire(group(n))
    posts = recorder(bot).of("post")
    assert [p.card.title for p in posts if p.card] == ["pod 0 crashes", "pod 1 crashes", "pod 2 crashes",
                                                       "Alert storm: 4 incidents in #oncall"]
    digest = recorder(bot).latest(posts[-1].post_id)  # the fifth joined the digest: updated in place
    assert digest is not None and digest.title == "Alert storm: 5 incidents in #oncall"
    assert "post budget reached: 2 cards folded into this digest" in digest.footer


def test_seen_before_after_a_resolve_and_a_refire_next_day(bot: Runtime) -> None:
    yesterday = datetime.now(UTC) - timedelta(days=1)
    fire(group(7, starts=yesterday, labels={"node": "worker-1"}))
    post = recorder(bot).of("post")[0]
    recorder(bot).threads[post.post_id] = [ThreadMessage(user="U1", text="restarted the kubelet on worker-1\nok now")]
    fire(group(7, status="resolved", starts=yesterday, ends=yesterday + timedelta(minutes=12),
               labels={"node": "worker-1"}))
    fire(group(7, starts=datetime.now(UTC) - timedelta(seconds=5), labels={"node": "worker-1"}))  # next day
    card = recorder(bot).latest(post.post_id)
    assert card is not None
    seen = card.field("seen before")
    assert seen is not None
    assert seen.startswith(yesterday.strftime("%Y-%m-%d %H:%M UTC") + ", resolved after 12m")
    assert "restarted the kubelet on worker-1" in seen
    # another incident with the same alert and identifying labels (another receiver) says it too
    other = group(7, starts=datetime.now(UTC), labels={"node": "worker-1"}, group_key="other-route")
    fire(other)
    newest = recorder(bot).of("post")[-1].card
    assert newest is not None and "resolved after 12m" in (newest.field("seen before") or "")
    assert group(8)["commonLabels"]["namespace"] == "ns-8"
    fire(group(8))  # a different namespace was never seen
    assert recorder(bot).of("post")[-1].card.field("seen before") is None  # type: ignore[union-attr]


def test_incidents_sharing_a_node_link_each_other(bot: Runtime) -> None:
    fire(group(1, labels={"node": "worker-9"}))
    fire(group(2, labels={"node": "worker-9", "alertname": "KubeNodeNotReady"}))
    first, second = recorder(bot).of("post")[:2]
    newest = recorder(bot).latest(second.post_id)
    older = recorder(bot).latest(first.post_id)
    assert newest is not None and older is not None
    assert "KubePodCrashLooping node=worker-9 namespace=ns-1" in (newest.field("related") or "")
    assert "KubeNodeNotReady node=worker-9 namespace=ns-2" in (older.field("related") or "")


def test_a_storms_members_get_no_llm_call(clean_redis: redis_lib.Redis, redis_url: str, tmp_path: Path,
                                          fake_llm: FakeOpenAI) -> None:
    with inprocess_bot(redis_url, tmp_path / "data", llm={"url": fake_llm.api_url, "gate": "off"},
                       storm={"threshold": 2}) as rt:
        for n in range(2):
            fire(group(n))
        explained = len(fake_llm.chat_requests())
        assert explained >= 2  # the two cards before the storm
        for n in range(2, 12):
            fire(group(n))
        assert len(fake_llm.chat_requests()) == explained  # ten folded members: no call each
        assert [p.card.title for p in recorder(rt).of("post") if p.card][-1] == "Alert storm: 3 incidents in #oncall"
