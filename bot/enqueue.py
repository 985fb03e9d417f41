"""Fast, atomic "dedupe and enqueue" for the web process.

Celery's synchronous `send_task` costs ~0.4 ms of CPU per message on this hardware (kombu builds
a new Redis client per publish and reprs the arguments), which caps one web process near 600
webhooks/s and blocks a thread per call. Here Celery still builds the task message
(`app.amqp.as_task_v2`: the same headers, id and body any `send_task` makes); we wrap it in the
kombu Redis transport envelope and push it with the web's async Redis client, in ONE Lua script
that also sets the idempotency key. Dedupe and enqueue are therefore atomic: a notification is
either remembered and queued, or neither, so nothing is lost between the two and a retry from
Alertmanager is always accepted when the first attempt failed.

The envelope is what kombu's virtual transport writes for the default (anonymous) exchange, where
the routing key is the queue name: a Celery worker consumes it like any other message
(tests/test_e2e_alertmanager.py runs real workers on it; tests/test_enqueue.py compares it with
what `send_task` writes).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import redis.asyncio as aioredis
from celery import Celery

from bot.outbox import OUTBOX, TASKS

DEDUPE_AND_PUSH = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('LPUSH', KEYS[2], ARGV[2])
  return 1
end
return 0
"""
# The same, and the notification goes into the outbox with its message (bot.outbox): a worker that
# dies with the message popped but not yet recorded by kombu cannot lose it.
DEDUPE_PUSH_AND_RECORD = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('LPUSH', KEYS[2], ARGV[2])
  redis.call('ZADD', KEYS[3], ARGV[3], KEYS[1])
  redis.call('HSET', KEYS[4], KEYS[1], KEYS[2] .. '\\n' .. ARGV[2])
  return 1
end
return 0
"""


def task_envelope(celery: Celery, task_name: str, args: list[Any], queue: str, argsrepr: str) -> bytes:
    task_id = str(uuid.uuid4())
    message = celery.amqp.as_task_v2(task_id, task_name, args=args, kwargs={}, argsrepr=argsrepr, kwargsrepr="{}",
                                     reply_to=celery.thread_oid, ignore_result=True)
    body = json.dumps(message.body).encode()
    envelope = {
        "body": base64.b64encode(body).decode(),
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": message.headers,
        "properties": {
            **message.properties,
            "argsrepr": argsrepr,
            "kwargsrepr": "{}",
            "delivery_mode": 2,
            "delivery_info": {"exchange": "", "routing_key": queue},
            "priority": 0,
            "body_encoding": "base64",
            "delivery_tag": str(uuid.uuid4()),
        },
    }
    return json.dumps(envelope).encode()


class TaskPublisher:
    def __init__(self, celery: Celery, client: aioredis.Redis) -> None:
        self.celery = celery
        self.script = client.register_script(DEDUPE_AND_PUSH)
        self.tracked_script = client.register_script(DEDUPE_PUSH_AND_RECORD)

    async def publish_once(self, dedupe_key: str, ttl_s: int, task_name: str, args: list[Any], queue: str,
                           argsrepr: str) -> bool:
        """Queue the task unless `dedupe_key` was seen within `ttl_s`; True when it was queued."""
        envelope = task_envelope(self.celery, task_name, args, queue, argsrepr)
        return bool(await self.script(keys=[dedupe_key, queue], args=[ttl_s, envelope]))

    async def publish_tracked(self, dedupe_key: str, ttl_s: int, task_name: str, args: list[Any], queue: str,
                              argsrepr: str) -> bool:
        """`publish_once`, and the notification stays in the outbox until every channel shows it."""
        envelope = task_envelope(self.celery, task_name, args, queue, argsrepr)
        return bool(await self.tracked_script(keys=[dedupe_key, queue, OUTBOX, TASKS],
                                              args=[ttl_s, envelope, time.time()]))
