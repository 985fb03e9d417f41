"""The web's atomic dedupe+enqueue writes the same message Celery's own send_task writes."""

from __future__ import annotations

import base64
import json

import redis as redis_lib
import redis.asyncio as aioredis

from bot.celery_app import make_celery
from bot.config import load_settings
from bot.enqueue import TaskPublisher


def _shape(value: object) -> object:
    """The keys at every level (values differ: ids, tags)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    return None


async def test_envelope_matches_send_task_and_dedupes(clean_redis: redis_lib.Redis, redis_url: str) -> None:
    celery = make_celery(load_settings(redis_url=redis_url))
    celery.send_task("bot.tasks.process_alert_group", args=[{"a": 1}, 1.5], queue="alerts",
                     argsrepr="x", kwargsrepr="{}")
    reference = json.loads(clean_redis.rpop("alerts") or b"{}")
    client = aioredis.Redis.from_url(redis_url)
    publisher = TaskPublisher(celery, client)
    assert await publisher.publish_once("opsbot:dedupe:t1", 60, "bot.tasks.process_alert_group", [{"a": 1}, 1.5],
                                        "alerts", argsrepr="x")
    assert not await publisher.publish_once("opsbot:dedupe:t1", 60, "bot.tasks.process_alert_group",
                                            [{"a": 1}, 1.5], "alerts", argsrepr="x")
    await client.aclose()
    assert clean_redis.llen("alerts") == 1
    ours = json.loads(clean_redis.rpop("alerts") or b"{}")
    assert _shape(ours) == _shape(reference)
    assert base64.b64decode(ours["body"]) == base64.b64decode(reference["body"])
    assert ours["headers"]["task"] == "bot.tasks.process_alert_group"
    assert ours["properties"]["delivery_info"] == reference["properties"]["delivery_info"]
    assert 0 < clean_redis.ttl("opsbot:dedupe:t1") <= 60
