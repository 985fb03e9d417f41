"""Nothing accepted is lost: the outbox of notifications that are not yet shown everywhere.

kombu's Redis transport keeps a BRPOP outstanding, so Redis pops the next message the moment it is
queued, and only records it as unacknowledged after the worker has read the reply. A worker killed
with a message in that gap loses it for good: the visibility timeout covers only messages it
recorded (measured: about one card in four soak runs of 2,000 notifications with a `kill -9`).

So the webhook records every accepted notification (and the chat intake every command), in the
same script that dedupes and queues it (bot.enqueue), together with its task message. The task
writes down which incident version contains it. A sweeper thread in every worker (one sweep at a
time across workers) looks at entries older than `celery.redeliver_after_s`: one nobody processed
is queued again (once its queue has drained: until then it is most likely still waiting its turn),
a version some channel does not show is delivered again (unless that delivery is backing off or
was given up), and one every channel shows is forgotten. Every task is idempotent against the
incident state, so doing again what was in fact only slow is harmless.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import cache
from typing import cast

import redis

from bot.celery_app import QUEUE_CHAT
from bot.incidents import IncidentStore

log = logging.getLogger("opsbot.outbox")

OUTBOX = "opsbot:outbox"  # sorted set: dedupe key -> when it was accepted (or last looked after)
TASKS = "opsbot:outbox:tasks"  # hash: dedupe key -> "<queue>\n<task message>"
DONE = "opsbot:outbox:done"  # hash: dedupe key -> "<incident key> <version that contains it>"
SWEEPING = "opsbot:outbox:sweeping"  # one sweep at a time across workers
SWEEP_BATCH = 500

Redeliver = Callable[[str, str], None]  # (incident key, channel key): queue one delivery


def mark_processed(client: redis.Redis, dedupe_key: str, incident_key: str, version: int) -> None:
    client.hset(DONE, dedupe_key, f"{incident_key} {version}")


class Outbox:
    def __init__(self, client: redis.Redis, store: IncidentStore, older_than_s: float) -> None:
        self.redis = client
        self.store = store
        self.older_than_s = older_than_s

    def sweep(self, redeliver: Redeliver, now: float | None = None) -> dict[str, int]:
        """One pass over notifications older than `older_than_s`; counts of what it did."""
        now = time.time() if now is None else now
        due = cast("list[bytes]", self.redis.zrangebyscore(OUTBOX, "-inf", now - self.older_than_s,
                                                            start=0, num=SWEEP_BATCH))
        counts = {"requeued": 0, "redelivered": 0, "settled": 0, "waiting": 0}
        backlog = cache(lambda queue: bool(self.redis.llen(queue)))  # one LLEN per queue and sweep
        for raw_key in due:
            counts[self._look_after(raw_key.decode(), redeliver, now, backlog)] += 1
        return counts

    def _look_after(self, dedupe_key: str, redeliver: Redeliver, now: float,
                    backlog: Callable[[str], bool]) -> str:
        done = cast("bytes | None", self.redis.hget(DONE, dedupe_key))
        if done is None:
            task = cast("bytes | None", self.redis.hget(TASKS, dedupe_key))
            if task is None:  # recorded by an older web process, or already forgotten
                self._forget(dedupe_key)
                return "settled"
            queue, _, message = task.partition(b"\n")
            if backlog(queue.decode()):
                return "waiting"  # a backlog: it is most likely still queued
            self.redis.lpush(queue.decode(), message)
            self._postpone(dedupe_key, now)
            log.warning("notification %s was accepted but never processed (a worker died holding it); "
                        "queued again", dedupe_key)
            return "requeued"
        incident_key, _, version = done.decode().partition(" ")
        meta = self.store.load(incident_key)
        states = {channel: self.store.delivery_state(incident_key, channel, int(version))
                  for channel in (meta.channels if meta else [])}
        stale = [channel for channel, state in states.items() if state == "missing"]
        if all(state == "settled" for state in states.values()):
            self._forget(dedupe_key)
            return "settled"
        if not stale or backlog(QUEUE_CHAT):
            return "waiting"  # backing off after a platform error, or deliveries still queued
        for channel in stale:
            redeliver(incident_key, channel)
        self._postpone(dedupe_key, now)
        log.warning("incident %s v%s is not shown on %s (a delivery was lost); delivering again",
                    incident_key, version, ", ".join(stale))
        return "redelivered"

    def _postpone(self, dedupe_key: str, now: float) -> None:
        self.redis.zadd(OUTBOX, {dedupe_key: now})

    def _forget(self, dedupe_key: str) -> None:
        pipe = self.redis.pipeline()
        pipe.zrem(OUTBOX, dedupe_key)
        pipe.hdel(TASKS, dedupe_key)
        pipe.hdel(DONE, dedupe_key)
        pipe.execute()


def start_sweeper(outbox: Outbox, redeliver: Redeliver, interval_s: float) -> threading.Thread:
    """A daemon thread sweeping every `interval_s`; a Redis outage (or any other failure of one sweep)
    only skips sweeps: the thread never dies of it."""

    def loop() -> None:
        while True:
            time.sleep(interval_s)
            try:
                if outbox.redis.set(SWEEPING, "1", nx=True, ex=max(1, int(interval_s))):
                    counts = outbox.sweep(redeliver)
                    if counts["requeued"] or counts["redelivered"]:
                        log.info("outbox sweep: %s", counts)
            except redis.RedisError as exc:
                log.debug("outbox sweep skipped: %s", exc)
            except Exception:  # e.g. the broker reconnecting under a redelivery: the thread must live
                log.warning("outbox sweep failed; the next one retries", exc_info=True)

    thread = threading.Thread(target=loop, name="outbox-sweeper", daemon=True)
    thread.start()
    return thread
