"""The Celery application: Redis (or the embedded Valkey) as broker, at-least-once delivery.

acks_late + reject_on_worker_lost: a task is acknowledged only after it finished, so a worker that
dies mid-task leaves the message to be redelivered (to another worker, or after
`visibility_timeout` when the whole worker vanished). Tasks are idempotent against incident state,
so a redelivery never makes a second card.
Queues keep slow work away from first cards: `alerts` (webhook -> incident -> card),
`chat` (posting and updating cards, retried with backoff), `collect` (evidence gathering), `llm`
(one explanation call per card; run its workers with concurrency = the LLM server's slots).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import redis
from celery import Celery, Task, signals
from celery.exceptions import Reject
from kombu.exceptions import OperationalError

from bot.config import Settings, get_settings

log = logging.getLogger("opsbot.tasks")
BROKER_ERRORS = (redis.ConnectionError, redis.TimeoutError, OperationalError)

QUEUE_ALERTS = "alerts"
QUEUE_CHAT = "chat"
QUEUE_COLLECT = "collect"
QUEUE_LLM = "llm"
ALL_QUEUES = (QUEUE_ALERTS, QUEUE_CHAT, QUEUE_COLLECT, QUEUE_LLM)

EMBEDDED_HINT = "redis://127.0.0.1:6379/0"


class BrokerSafeTask(Task):
    """A task that loses Redis (broker and state store) half-way is run again, never dropped.

    Without this, a task that raised ConnectionError during a Redis restart was acknowledged as a
    failure and its notification lost. Rejected with requeue, its message stays in Redis (the AOF
    keeps it) and is redelivered once the broker is back; every task is idempotent against the
    incident state, so running it again is safe."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except BROKER_ERRORS as exc:
            log.warning("%s: lost the broker (%s: %s); the message stays queued and runs again",
                        self.name, type(exc).__name__, exc)
            raise Reject(f"broker unavailable: {exc}", requeue=True) from None


def make_celery(settings: Settings | None = None) -> Celery:
    settings = settings or get_settings()
    app = Celery("opsbot", broker=settings.redis_url or EMBEDDED_HINT,
                 include=["bot.tasks", "bot.command_tasks", "bot.openai_task"],
                 task_cls=BrokerSafeTask)
    llm = settings.llm
    llm_limit = int(max(settings.celery.task_time_limit_s,
                        llm.queue_wait_s + 2 * max([llm.default_timeout_s, *llm.timeout_s.values()]) + 30))
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        task_time_limit=settings.celery.task_time_limit_s,
        task_soft_time_limit=max(1, settings.celery.task_time_limit_s - 5),
        task_default_queue=QUEUE_ALERTS,
        task_routes={
            "bot.tasks.process_alert_group": {"queue": QUEUE_ALERTS},
            "bot.tasks.deliver_card": {"queue": QUEUE_CHAT},
            "bot.tasks.enrich_incident": {"queue": QUEUE_COLLECT},
            "bot.tasks.run_command": {"queue": QUEUE_COLLECT},
            "bot.tasks.wrap_up_incident": {"queue": QUEUE_COLLECT},
            "bot.tasks.run_action": {"queue": QUEUE_COLLECT},
            "bot.tasks.explain_incident": {"queue": QUEUE_LLM},
            "bot.tasks.explain_command": {"queue": QUEUE_LLM},
            "bot.tasks.answer_openai": {"queue": QUEUE_COLLECT},  # or QUEUE_LLM, chosen when queued
        },
        # An explanation may wait for a slot, then make its call and one repair call.
        task_annotations={name: {"time_limit": llm_limit, "soft_time_limit": llm_limit - 5}
                          for name in ("bot.tasks.explain_incident", "bot.tasks.explain_command")},
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,  # the console channel prints cards to the terminal itself
        broker_connection_retry_on_startup=True,
        # A task whose worker vanished is redelivered after visibility_timeout; sweep for such
        # tasks often enough (kombu's default sweep is every ~100 s) that none waits much longer.
        broker_transport_options={
            "visibility_timeout": settings.celery.visibility_timeout_s,
            "unacked_restore_interval": max(1, min(10, settings.celery.visibility_timeout_s // 3)),
            "unacked_restore_throttle": 1,
        },
        task_serializer="json",
        accept_content=["json"],
    )
    return app


celery_app = make_celery()


def _record_task_state(state: str, task: Any) -> None:
    from bot.runtime import runtime

    name = getattr(task, "name", None) or str(task)
    with contextlib.suppress(Exception):  # metrics must never fail a task
        runtime().metrics.inc("opsbot_tasks", [name.rsplit(".", 1)[-1], state])


@signals.task_prerun.connect
def _on_prerun(task: Any = None, **_: Any) -> None:
    _record_task_state("started", task)


@signals.task_success.connect
def _on_success(sender: Any = None, **_: Any) -> None:
    _record_task_state("succeeded", sender)


@signals.task_failure.connect
def _on_failure(sender: Any = None, **_: Any) -> None:
    _record_task_state("failed", sender)


@signals.task_retry.connect
def _on_retry(sender: Any = None, **_: Any) -> None:
    _record_task_state("retried", sender)
