"""Fault tolerance on real Redis with real worker processes: crashes, duplicates and a broker restart lose
nothing and double nothing."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib

from core.events import parse_alert_group
from tests.support.servers import free_port, http_ok, wait_until
from tests.support.stack import BotStack, bot_stack


def _posts(stack: BotStack) -> list[dict[str, Any]]:
    return _posts_of(stack.card_events())


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



def _start_redis(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    """redis-server with an fsync-always AOF, so that a restart keeps queued tasks and incident state."""
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "yes", "--appendfsync", "always", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: redis_lib.Redis(port=port, socket_timeout=0.5).ping(), timeout=10, what="redis")
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(10)


def test_broker_restart_refuses_then_recovers_without_loss(tmp_path: Path, firing_payload: dict[str, Any]) -> None:
    port = free_port()
    redis_dir = tmp_path / "redis"
    redis_dir.mkdir()
    second = copy.deepcopy(firing_payload)
    second["groupKey"] = '{}:{alertname="AfterRestart"}'
    second["commonLabels"]["alertname"] = "AfterRestart"
    redis_proc = _start_redis(redis_dir, port)
    try:
        with bot_stack(f"redis://127.0.0.1:{port}/0", tmp_path / "data") as stack:
            assert stack.post_webhook(firing_payload) == "accepted"
            stack.wait_for_events(lambda events: len(_posts_of(events)) == 1)

            _stop(redis_proc)
            with pytest.raises(urllib.error.HTTPError) as refused:
                stack.post_webhook(second)
            assert refused.value.code == 503  # Alertmanager will retry; nothing was remembered

            redis_proc = _start_redis(redis_dir, port)
            wait_until(lambda: http_ok(f"{stack.web_url}/readyz"), timeout=20, what="readyz after the restart")
            assert stack.post_webhook(second) == "accepted"  # Alertmanager's retry
            stack.wait_for_events(lambda events: len(_posts_of(events)) == 2, timeout=60)
            assert stack.post_webhook(firing_payload) == "duplicate"  # the dedupe key survived the restart
            time.sleep(1)
            assert len(_posts_of(stack.card_events())) == 2
    finally:
        _stop(redis_proc)


def _posts_of(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["action"] == "post"]


@pytest.mark.timeout(600)
@pytest.mark.skipif(not os.environ.get("OPSBOT_FAULT_STORM"), reason="a soak test (1-5 min): OPSBOT_FAULT_STORM=1")
def test_a_storm_through_a_worker_crash_and_a_broker_restart_loses_and_doubles_nothing(
        tmp_path: Path, firing_payload: dict[str, Any]) -> None:
    """2,000 notifications as Alertmanager sends them (a refused one is retried); in the middle the
    worker is killed with SIGKILL and Redis (AOF on) restarts. Every notification becomes exactly one card."""
    import http.client
    import threading

    total = 2000
    port = free_port()
    redis_dir = tmp_path / "redis"
    redis_dir.mkdir()
    redis_proc = _start_redis(redis_dir, port)
    accepted: list[int] = []

    def notification(i: int) -> dict[str, Any]:
        payload = copy.deepcopy(firing_payload)
        payload["groupKey"] = f'{{}}:{{alertname="KubePodCrashLooping", pod="f-{i}"}}'
        payload["commonLabels"]["pod"] = payload["alerts"][0]["labels"]["pod"] = f"f-{i}"
        payload["alerts"][0]["fingerprint"] = f"{i:016x}"
        return payload

    def send(stack: BotStack) -> None:
        for i in range(total):
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # Alertmanager retries a refused notification
                try:
                    if stack.post_webhook(notification(i)) in ("accepted", "duplicate"):
                        accepted.append(i)
                        break
                except (OSError, ValueError, http.client.HTTPException):  # refused, reset, 503: try again
                    time.sleep(0.1)

    try:
        # One card per notification is what is counted here: no storm digest, no post budget.
        env = {"OPSBOT_CELERY__VISIBILITY_TIMEOUT_S": "5", "OPSBOT_CELERY__REDELIVER_AFTER_S": "10",
               "OPSBOT_STORM__ENABLED": "false", "OPSBOT_BUDGETS__POSTS_PER_MINUTE": "1000000"}
        with bot_stack(f"redis://127.0.0.1:{port}/0", tmp_path / "data", env) as stack:
            sender = threading.Thread(target=send, args=(stack,), daemon=True)
            sender.start()
            wait_until(lambda: len(accepted) >= total // 3, timeout=120, what="a third sent")
            worker = stack.processes["worker"]
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
            stack.start_worker("worker2")
            wait_until(lambda: len(accepted) >= 2 * total // 3, timeout=120, what="two thirds sent")
            _stop(redis_proc)
            time.sleep(1.0)
            redis_proc = _start_redis(redis_dir, port)
            sender.join(timeout=240)
            assert len(accepted) == total

            def pods() -> list[str]:
                """The pod of every posted card (only "post" lines are parsed: the file grows to megabytes)."""
                lines = stack.cards_file.read_text().splitlines() if stack.cards_file.exists() else []
                return [next(f["value"] for f in json.loads(line)["card"]["fields"] if f["name"] == "pod")
                        for line in lines if '"action": "post"' in line]

            deadline = time.monotonic() + 300
            while len(set(pods())) < total and time.monotonic() < deadline:
                time.sleep(1.0)  # polling a multi-megabyte file often would starve the worker on 2 cores
            time.sleep(2.0)  # anything duplicated would show up now
            posted = pods()
            assert len(set(posted)) == total, f"{total - len(set(posted))} notifications lost"
            assert len(posted) == total, f"{len(posted) - total} duplicate cards"
    finally:
        _stop(redis_proc)
