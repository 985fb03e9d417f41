"""Fault tolerance on real Redis with real worker processes: crashes and duplicates lose nothing and double nothing."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib

from bot.events import parse_alert_group
from tests.servers import wait_until
from tests.stack import BotStack, bot_stack


def _posts(stack: BotStack) -> list[dict[str, Any]]:
    return [e for e in stack.card_events() if e["action"] == "post"]


@pytest.fixture
def stack(redis_url: str, clean_redis: redis_lib.Redis, tmp_path: Path) -> Iterator[BotStack]:
    env = {"OPSBOT_CELERY__VISIBILITY_TIMEOUT_S": "3"}
    with bot_stack(redis_url, tmp_path / "data", env) as running:
        yield running


def test_worker_killed_mid_task_loses_nothing(stack: BotStack, clean_redis: redis_lib.Redis,
                                              firing_payload: dict[str, Any]) -> None:
    # Hold the incident lock so the worker is stuck inside the task when we kill it.
    lock_key = f"opsbot:incident:{parse_alert_group(json.dumps(firing_payload)).incident_key}:lock"
    clean_redis.set(lock_key, "held-by-test", px=60_000)
    assert stack.post_webhook(firing_payload) == "accepted"
    wait_until(lambda: clean_redis.hlen("unacked") == 1, timeout=20, what="task taken by the worker")
    worker = stack.processes["worker"]
    os.killpg(worker.pid, signal.SIGKILL)  # the worker and its pool children die at once
    worker.wait()
    clean_redis.delete(lock_key)
    assert _posts(stack) == []

    stack.start_worker("worker2")
    events = stack.wait_for_events(lambda ev: len([e for e in ev if e["action"] == "post"]) >= 1, timeout=45)
    time.sleep(1.0)  # anything duplicated would show up now
    assert len(_posts(stack)) == 1
    assert events[0]["card"]["title"] == "Pod shop/checkout-5f7b9c-abcde is crash looping"


def test_duplicate_notifications_make_exactly_one_card(stack: BotStack, clean_redis: redis_lib.Redis,
                                                       firing_payload: dict[str, Any]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: stack.post_webhook(firing_payload), range(8)))
    assert statuses.count("accepted") == 1
    stack.wait_for_events(lambda ev: len(ev) >= 1)
    assert stack.post_webhook(firing_payload) == "duplicate"
    # Even after the dedupe window (here: forgotten by hand), a repeat that changes nothing makes no card.
    for key in clean_redis.scan_iter("opsbot:dedupe:*"):
        clean_redis.delete(key)
    assert stack.post_webhook(firing_payload) == "accepted"
    wait_until(lambda: clean_redis.llen("alerts") == 0, timeout=10, what="queue drained")
    time.sleep(1.0)
    events = stack.card_events()
    assert [e["action"] for e in events] == ["post"]
