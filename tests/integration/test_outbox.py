"""The outbox on real Redis: a notification whose message a dying worker took, or whose delivery was
lost, is done again; one every channel shows is forgotten; backlogs and backoffs are left alone."""

from __future__ import annotations

from datetime import UTC, datetime

import redis as redis_lib
import redis.asyncio as aioredis

from bot.celery_app import make_celery
from bot.config import load_settings
from bot.enqueue import TaskPublisher
from bot.incidents import IncidentMeta, IncidentStore
from bot.outbox import OUTBOX, Outbox, mark_processed

KEY = "opsbot:dedupe:n1"
CHANNELS = ["console:oncall", "slack:ops"]


async def _accept(redis_url: str) -> None:
    client = aioredis.Redis.from_url(redis_url)
    publisher = TaskPublisher(make_celery(load_settings(redis_url=redis_url)), client)
    assert await publisher.publish_tracked(KEY, 60, "bot.tasks.process_alert_group", [{"a": 1}, 1.0], "alerts",
                                           argsrepr="x")
    await client.aclose()


def _incident(store: IncidentStore, version: int) -> None:
    store.save(IncidentMeta(key="inc1", receiver="opsbot", group_key="g", status="firing", labels={},
                            first_received_at=0.0, first_seen=datetime(2026, 11, 30, tzinfo=UTC), channels=CHANNELS,
                            version=version))


def _sweeper(client: redis_lib.Redis) -> tuple[Outbox, list[tuple[str, str]]]:
    delivered: list[tuple[str, str]] = []
    return Outbox(client, IncidentStore(client), older_than_s=10), delivered


async def test_a_message_a_dead_worker_took_is_queued_again_once_the_queue_is_drained(
        clean_redis: redis_lib.Redis, redis_url: str) -> None:
    await _accept(redis_url)
    outbox, delivered = _sweeper(clean_redis)
    message = clean_redis.lindex("alerts", 0)
    clean_redis.lpush("alerts", b"someone else's task")  # a backlog: it is probably still queued
    now = float(clean_redis.zscore(OUTBOX, KEY) or 0) + 11
    assert outbox.sweep(lambda *a: delivered.append(a), now=now)["waiting"] == 1
    clean_redis.delete("alerts")  # BRPOP'd by a worker that was then killed: nobody will run it
    assert outbox.sweep(lambda *a: delivered.append(a), now=now)["requeued"] == 1
    assert clean_redis.lrange("alerts", 0, -1) == [message]
    assert outbox.sweep(lambda *a: delivered.append(a), now=now + 1)["requeued"] == 0  # postponed, not repeated


async def test_a_lost_delivery_is_redone_and_a_shown_notification_forgotten(
        clean_redis: redis_lib.Redis, redis_url: str) -> None:
    await _accept(redis_url)
    clean_redis.delete("alerts")
    store = IncidentStore(clean_redis)
    _incident(store, version=2)
    mark_processed(clean_redis, KEY, "inc1", 2)
    store.set_delivered("inc1", "console:oncall", 2)
    store.set_backing_off("inc1", "slack:ops", 30)  # retrying after a 5xx: not lost, leave it
    outbox, delivered = _sweeper(clean_redis)
    now = float(clean_redis.zscore(OUTBOX, KEY) or 0) + 11
    assert outbox.sweep(lambda *a: delivered.append(a), now=now)["waiting"] == 1
    clean_redis.delete("opsbot:incident:inc1:backoff:slack:ops")
    assert outbox.sweep(lambda *a: delivered.append(a), now=now)["redelivered"] == 1
    assert delivered == [("inc1", "slack:ops")]
    store.set_gave_up("inc1", "slack:ops", 2)  # given up is settled too (the next notification retries)
    assert outbox.sweep(lambda *a: delivered.append(a), now=now + 11)["settled"] == 1
    assert clean_redis.zcard(OUTBOX) == 0 and not clean_redis.exists("opsbot:outbox:tasks", "opsbot:outbox:done")
