"""The storm's edges on a real Redis, with the interleavings that a pool of workers produces made
explicit: an incident counted just before a storm began but saved only after the digest gathered the
window joins the digest by itself (once); an incident that came in a burst waits before its LLM call,
one that came alone does not."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis as redis_lib

from bot import storms
from bot.incidents import Change, IncidentMeta
from bot.runtime import Runtime
from tests.support.inprocess_bot import inprocess_bot

NEW = Change(new_incident=True)


@pytest.fixture
def bot(clean_redis: redis_lib.Redis, redis_url: str, tmp_path: Path) -> Iterator[Runtime]:
    with inprocess_bot(redis_url, tmp_path / "data", storm={"threshold": 1, "window_s": 60, "llm_settle_s": 5}) as rt:
        yield rt


def incident(key: str, received_at: float | None = None) -> IncidentMeta:
    return IncidentMeta(key=key, receiver="oncall", group_key=key, status="firing",
                        labels={"alertname": "KubePodCrashLooping", "pod": key},
                        first_received_at=received_at or time.time(), first_seen=datetime.now(UTC),
                        channels=["console:oncall"])


def digest_members(rt: Runtime) -> list[str]:
    keys = [k.decode().removeprefix("opsbot:storm:digest:") for k in rt.redis.scan_iter("opsbot:storm:digest:*")]
    assert len(keys) == 1
    digest = storms.load_digest(rt, keys[0])
    assert digest is not None
    return sorted(digest.members)


def test_an_incident_saved_after_the_digest_gathered_the_window_joins_it_once(bot: Runtime) -> None:
    late = incident("late")
    late_plan = storms.decide(bot, late, NEW)  # counted (1 of threshold 1): its own card, no storm yet
    assert not late_plan.digests and late.channels == ["console:oncall"]

    trigger = incident("trigger")
    trigger_plan = storms.decide(bot, trigger, NEW)  # the storm begins; "late" is not saved yet
    bot.store.save(trigger)
    assert trigger_plan.digests and trigger.channels == []
    assert digest_members(bot) == ["trigger"]

    bot.store.save(late)
    storms.join_late(bot, late, NEW, late_plan)
    assert digest_members(bot) == ["late", "trigger"]
    assert late_plan.in_storm and late_plan.digests == trigger_plan.digests
    assert late.channels == ["console:oncall"]  # its card was posted before the storm: it stays

    storms.join_late(bot, late, NEW, storms.Plan())  # a redelivery changes nothing
    assert digest_members(bot) == ["late", "trigger"]


def test_an_incident_saved_before_the_digest_gathered_the_window_is_found_by_the_digest(bot: Runtime) -> None:
    early = incident("early")
    early_plan = storms.decide(bot, early, NEW)
    bot.store.save(early)
    storms.join_late(bot, early, NEW, early_plan)  # no storm yet: nothing to join
    assert not early_plan.in_storm

    trigger = incident("trigger")
    storms.decide(bot, trigger, NEW)
    bot.store.save(trigger)
    assert digest_members(bot) == ["early", "trigger"]


def test_a_lone_incident_asks_the_llm_at_once_one_in_a_burst_waits_for_the_settle(
        clean_redis: redis_lib.Redis, redis_url: str, tmp_path: Path) -> None:
    with inprocess_bot(redis_url, tmp_path / "data", storm={"threshold": 8, "llm_settle_s": 5}) as rt:
        now = time.time()
        alone = incident("alone", received_at=now)
        storms.decide(rt, alone, NEW, now=now)
        assert storms.llm_settle(rt, alone, now + 0.5) == 0.0

        second = incident("second", received_at=now + 1)
        storms.decide(rt, second, NEW, now=now + 1)
        assert storms.llm_settle(rt, second, now + 1.5) == pytest.approx(4.5)
        assert storms.llm_settle(rt, second, now + 6.5) == 0.0  # settled: asked now, unless a storm took it


def test_no_settle_when_storms_are_off(clean_redis: redis_lib.Redis, redis_url: str, tmp_path: Path) -> None:
    with inprocess_bot(redis_url, tmp_path / "data", storm={"enabled": False}) as rt:
        first, second = incident("a"), incident("b")
        storms.decide(rt, first, NEW)
        storms.decide(rt, second, NEW)
        assert storms.llm_settle(rt, second, time.time()) == 0.0
