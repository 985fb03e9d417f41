"""The worker's tasks run in this process (Celery eager mode) on a real Redis, with chat channels the
test chooses: a recording channel, or the real Slack/Mattermost clients against the wire-format fakes.

For tests and benchmarks that need many notifications end to end (Alertmanager -> tasks -> posts)
without starting worker processes; `webhook_into_tasks` is the receiver Alertmanager posts to.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import redis

from bot import tasks
from bot.celery_app import celery_app
from bot.chat_gate import ChatGate
from bot.config import Settings, load_settings
from bot.incidents import IncidentStore
from bot.metrics import SharedMetrics
from bot.runtime import Runtime
from core.cards import Card
from integrations.chat import ChatChannel, PostRef, RedactingChannel, ThreadMessage
from tests.support.servers import handler_server


@dataclass
class Event:
    action: str  # post, update, reply
    channel: str
    post_id: str
    at: float
    card: Card | None = None
    text: str = ""


@dataclass
class RecordingChannel:
    """A chat channel that keeps every post, update and reply in memory (platform "console")."""

    platform: str = "console"
    events: list[Event] = field(default_factory=list)
    threads: dict[str, list[ThreadMessage]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _add(self, event: Event) -> None:
        with self.lock:
            self.events.append(event)

    def post(self, channel: str, card: Card, thread_id: str | None = None) -> PostRef:
        ref = PostRef(platform=self.platform, channel=channel, post_id=uuid.uuid4().hex, thread_id=thread_id)
        self._add(Event("post", channel, ref.post_id, time.time(), card=card))
        return ref

    def update(self, ref: PostRef, card: Card) -> None:
        self._add(Event("update", ref.channel, ref.post_id, time.time(), card=card))

    def reply(self, ref: PostRef, text: str) -> PostRef:
        self._add(Event("reply", ref.channel, ref.post_id, time.time(), text=text))
        return PostRef(platform=self.platform, channel=ref.channel, post_id=uuid.uuid4().hex, thread_id=ref.post_id)

    def thread(self, ref: PostRef) -> list[ThreadMessage]:
        return list(self.threads.get(ref.post_id, []))

    def thread_root(self, channel: str, message_id: str) -> str:
        return message_id

    def of(self, action: str) -> list[Event]:
        with self.lock:
            return [e for e in self.events if e.action == action]

    def latest(self, post_id: str) -> Card | None:
        with self.lock:
            cards = [e.card for e in self.events if e.post_id == post_id and e.card is not None]
        return cards[-1] if cards else None


@contextlib.contextmanager
def inprocess_bot(redis_url: str, data_dir: Path, channels: dict[str, ChatChannel] | None = None,
                  collect_threads: int = 0, **settings: Any) -> Iterator[Runtime]:
    """bot.tasks running eagerly here on `redis_url`; yields the Runtime (its `channels` as given). With
    `collect_threads`, evidence and explanations run on a pool of their own (as the collect and llm queues
    do), not in the thread of the alert that asked for them, and a digest's delayed update waits its
    countdown (eager mode would run it at once)."""
    defaults: dict[str, Any] = {"knowledge": {"enabled": False}, "console": {"enabled": "off"}}
    config: Settings = load_settings(redis_url=redis_url, data_dir=data_dir, **{**defaults, **settings})
    client = redis.Redis.from_url(redis_url)
    rt = Runtime(settings=config, redis=client, store=IncidentStore(client), metrics=SharedMetrics(client),
                 gate=ChatGate(client), channels={p: RedactingChannel(c) for p, c in
                                                  (channels or {"console": RecordingChannel()}).items()})
    saved = (tasks.runtime, celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    tasks.runtime = lambda: rt  # type: ignore[assignment]
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    tasks.llm_client.cache_clear()
    side = ThreadPoolExecutor(max_workers=collect_threads, thread_name_prefix="collect") if collect_threads else None
    if side is not None:
        tasks.enrich_incident.delay = lambda *args: side.submit(tasks.enrich_incident, *args)
        tasks.deliver_digest.apply_async = _later(tasks.deliver_digest, side)
        tasks.explain_incident.apply_async = _later(tasks.explain_incident, side)
    try:
        yield rt
    finally:
        if side is not None:
            side.shutdown(wait=True)
            del tasks.enrich_incident.delay, tasks.deliver_digest.apply_async, tasks.explain_incident.apply_async
        tasks.runtime, celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved
        tasks.llm_client.cache_clear()
        client.close()


def _later(task: Any, side: ThreadPoolExecutor) -> Any:
    """A task's apply_async that waits its countdown on a timer, then runs on the side pool (eager mode
    would run it at once); `.delay()` comes through here too and runs at once, as eager mode would."""
    def apply_async(args: tuple[Any, ...], kwargs: Any = None, countdown: float = 0, **_: Any) -> None:
        if not countdown:
            task(*args, **(kwargs or {}))
            return
        threading.Timer(countdown, lambda: side.submit(task, *args, **(kwargs or {}))).start()
    return apply_async


@contextlib.contextmanager
def webhook_into_tasks(threads: int = 4) -> Iterator[str]:
    """An HTTP receiver that answers at once, like the web process, and runs process_alert_group for each
    notification Alertmanager posts on `threads` threads, like a worker pool; yields its URL. Leaving
    the block waits for the work queued so far."""
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="worker")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            pool.submit(tasks.process_alert_group, json.loads(body), time.time())
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    try:
        with handler_server(Handler) as url:
            yield f"{url}/webhook/alertmanager"
    finally:
        pool.shutdown(wait=True)
