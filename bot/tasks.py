"""Celery tasks: an Alertmanager notification becomes an incident, a card, and chat posts.

process_alert_group (queue alerts): fold the notification into the incident under its lock,
  rebuild the card, bump its version, then fan out one delivery per chat channel.
deliver_card (queue chat): make one channel show the incident's latest card: post it the first
  time, update it in place after, post pending thread notes. Chat errors retry with exponential
  backoff and jitter (429 waits the Retry-After the platform asked for).
wrap_up_incident (queue collect): on resolve, one summary in the card's thread (timeline, findings,
  what people wrote in the thread, duration).
run_action (queue collect): a card button; "Draft post-mortem" writes and ingests a Markdown draft.
enrich_incident (queue collect): run the evidence enrichers and fold their findings into the card.
run_command (queue collect): a slash command's card: "working" first, then the handler's result.
  It is kept as a one-card incident (receiver "command") so delivery, retries and in-place updates
  go through deliver_card like every alert card.
explain_incident / explain_command (queue llm): when an LLM is configured, chained after
  enrich_incident and run_command: one schema-bound LLM call explains the card (or, for /ask, writes
  the answer from the sections found), which is updated in place (or says why the LLM could not
  help). Their own queue, so a slow model never delays a first card.
Every task is idempotent against the incident state, so redelivery after a crash is harmless.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache, partial
from typing import TYPE_CHECKING, Any

from celery import Task, signals

from bot import incident_wrapup
from bot.cards import Card, CardStatus
from bot.celery_app import celery_app
from bot.commands import CommandHandler, execute, working_card
from bot.events import Action, AlertGroup, Command
from bot.incidents import IncidentMeta, merge_notification
from bot.runtime import Runtime, runtime
from handlers import explain
from handlers.ask import handle_command as ask_command
from handlers.config_review import handle_command as config_command
from handlers.enrichers import build_enrichers
from handlers.logs import handle_command as logs_command
from handlers.logs import needs_llm as logs_need_llm
from handlers.triage import DRAFT_BUTTON, enrich, first_card
from integrations.chat import ChatChannel, ChatError, PostRef

if TYPE_CHECKING:
    from integrations.llm.client import LLMClient

log = logging.getLogger("opsbot.tasks")
COMMAND_RECEIVER = "command"
EXPLAINED_COMMANDS = {"ceph": "Ceph cluster", "redis": "Redis instance"}  # command -> what its card diagnoses
ASK_COMMAND = "ask"  # its answer is written by the model from the sections found
# Commands whose handler takes the LLM itself: /ask writes its answer, /logs translates what rules could
# not, a config review asks the heavy model what rules cannot judge.
LLM_HANDLERS: dict[str, Callable[..., Card]] = {ASK_COMMAND: ask_command, "logs": logs_command,
                                               "config": config_command}
LLM_COMMANDS = {*EXPLAINED_COMMANDS, *LLM_HANDLERS}


@celery_app.task(name="bot.tasks.process_alert_group")
def process_alert_group(payload: dict[str, Any], received_at: float) -> str:
    rt = runtime()
    group = AlertGroup.model_validate(payload)
    key = group.incident_key
    with rt.store.lock(key):
        meta = rt.store.load(key)
        new = meta is None
        if meta is None:
            channels = rt.settings.routing.channels_for(group.commonLabels)
            meta = IncidentMeta(
                key=key, receiver=group.receiver, group_key=group.groupKey, status=group.status,
                labels=group.commonLabels, first_received_at=received_at,
                first_seen=min(a.startsAt for a in group.alerts),
                channels=[f"{platform}:{name}" for platform in rt.channels for name in channels],
            )
        elif meta.last_signature == group.idempotency_key:
            return "unchanged"
        was_resolved = meta.status == "resolved"
        change = merge_notification(meta, group)
        change.new_incident = new
        meta.last_signature = group.idempotency_key
        if not change.anything:
            rt.store.save(meta)
            log.info("incident %s: notification changed nothing (stale %s)", key, change.stale)
            return "unchanged"
        meta.base_card = first_card(group, first_seen=meta.first_seen)
        if was_resolved and meta.status == "firing":
            meta.notes.append(f"Firing again: {', '.join(sorted({a.name for a in group.firing}))}")
            meta.wrapped_up = False  # the next resolve gets its own summary
        meta.version += 1
        rt.store.save(meta)
    log.info("incident %s v%d: %s", key, meta.version, change.model_dump(exclude_defaults=True))
    for channel in meta.channels:
        deliver_card.delay(key, channel)
    if meta.status == "resolved" and not new:
        wrap_up_incident.delay(key)
    if (change.new_incident or change.joined) and meta.status == "firing" and (
            build_enrichers(rt.settings) or rt.settings.llm.configured):
        enrich_incident.delay(key, payload)
    return "updated"


@celery_app.task(name="bot.tasks.deliver_card", bind=True, max_retries=None)
def deliver_card(self: Task, incident_key: str, channel_key: str) -> str:
    rt = runtime()
    platform, _, channel = channel_key.partition(":")
    chat = rt.channels.get(platform)
    if chat is None:
        log.warning("incident %s: platform %s is no longer configured; skipping", incident_key, platform)
        return "skipped"
    paused = rt.gate.wait_s(platform)
    if paused > 0:  # another delivery was told to back off: this one would only earn another 429
        # Re-queued with its own retry count: waiting out someone else's 429 is not a failure of this one.
        deliver_card.apply_async((incident_key, channel_key), countdown=retry_delay(0, paused),
                                 retries=self.request.retries)
        return "paused"
    with rt.store.lock(incident_key, f":{channel_key}"):
        meta = rt.store.load(incident_key)
        card = meta.card if meta else None
        if meta is None or card is None:
            return "gone"
        try:
            ref = rt.store.post_ref(incident_key, channel_key)
            if ref is None:
                ref = _post(chat, channel, card, meta.thread_id)
                rt.store.set_post_ref(incident_key, channel_key, ref)
                if meta.receiver != COMMAND_RECEIVER:
                    rt.store.index_thread(platform, ref.post_id, incident_key)
                    rt.metrics.observe("opsbot_webhook_to_first_card_seconds", [platform],
                                       time.time() - meta.first_received_at)
                rt.metrics.inc("opsbot_cards", [platform, "post"])
            elif rt.store.delivered_version(incident_key, channel_key) < meta.version:
                chat.update(ref, card)
                rt.metrics.inc("opsbot_cards", [platform, "update"])
            rt.store.set_delivered(incident_key, channel_key, meta.version)
            sent = rt.store.notes_sent(incident_key, channel_key)
            for index, note in enumerate(meta.notes[sent:], start=sent):
                chat.reply(ref, note)
                rt.store.set_notes_sent(incident_key, channel_key, index + 1)
        except ChatError as exc:
            rt.metrics.inc("opsbot_chat_api_errors", [platform, "retryable" if exc.retryable else "fatal"])
            retries = self.request.retries
            if exc.retry_after is not None:
                rt.gate.hold(platform, exc.retry_after)
            if exc.retryable and retries < rt.settings.celery.chat_max_retries:
                countdown = retry_delay(retries, exc.retry_after)
                log.warning("incident %s: %s error (%s); retry %d in %.1f s",
                            incident_key, platform, exc, retries + 1, countdown)
                raise self.retry(countdown=countdown, exc=exc) from None
            log.error("incident %s: giving up on %s: %s", incident_key, channel_key, exc)
            return "failed"
    return "delivered"


@celery_app.task(name="bot.tasks.wrap_up_incident")
def wrap_up_incident(incident_key: str) -> str:
    rt = runtime()
    if not incident_wrapup.wrap_up(rt, incident_key):
        return "skipped"
    _deliver_everywhere(rt, incident_key)
    return "wrapped up"


@celery_app.task(name="bot.tasks.run_action")
def run_action(payload: dict[str, Any]) -> str:
    """A button press (only "Draft post-mortem" so far): do it, then say so in the incident's thread."""
    rt = runtime()
    action = Action.model_validate(payload)
    if action.action != DRAFT_BUTTON or not incident_wrapup.draft(rt, action):
        return "ignored"
    _deliver_everywhere(rt, action.value)
    return "done"


def _deliver_everywhere(rt: Runtime, incident_key: str) -> None:
    meta = rt.store.load(incident_key)
    for channel in meta.channels if meta else []:
        deliver_card.delay(incident_key, channel)


@celery_app.task(name="bot.tasks.enrich_incident")
def enrich_incident(incident_key: str, payload: dict[str, Any]) -> str:
    rt = runtime()
    group = AlertGroup.model_validate(payload)
    settings = rt.settings.triage
    enrichment = enrich(group, build_enrichers(rt.settings), per_source_s=settings.per_source_timeout_s,
                        total_s=settings.total_budget_s)
    with rt.store.lock(incident_key):
        meta = rt.store.load(incident_key)
        if meta is None:
            return "gone"
        meta.enrichment = enrichment
        meta.version += 1
        rt.store.save(meta)
    for channel in meta.channels:
        deliver_card.delay(incident_key, channel)
    if rt.settings.llm.configured:
        explain_incident.delay(incident_key)
    return "enriched"


@celery_app.task(name="bot.tasks.explain_incident")
def explain_incident(incident_key: str) -> str:
    rt = runtime()
    meta = rt.store.load(incident_key)
    if meta is None or meta.base_card is None or meta.enrichment is None:
        return "gone"
    if explain.has_llm_result(meta.enrichment.findings, meta.enrichment.unavailable):
        return "done"  # a redelivery after the card was already explained
    seen = meta.enrichment.model_dump_json()
    result = explain.explain(explain.triage_input(meta.base_card, meta.enrichment), _llm_client(),
                             budget_tokens=rt.settings.llm.prompt_budget_tokens, task="triage")
    rt.metrics.inc("opsbot_llm_explanations", ["triage", result.status])
    with rt.store.lock(incident_key):
        meta = rt.store.load(incident_key)
        if meta is None or meta.base_card is None or meta.enrichment is None:
            return "gone"
        if meta.enrichment.model_dump_json() != seen:
            return "superseded"  # re-enriched meanwhile (an alert joined); that enrichment chains its own
        meta.enrichment = explain.triage_enrichment(meta.enrichment, result, meta.base_card)
        meta.version += 1
        rt.store.save(meta)
    for channel in meta.channels:
        deliver_card.delay(incident_key, channel)
    return result.status


@celery_app.task(name="bot.tasks.run_command")
def run_command(command_key: str, payload: dict[str, Any], received_at: float) -> str:
    rt = runtime()
    cmd = _placed(rt, Command.model_validate(payload))
    channel_key = f"{cmd.platform}:{cmd.channel}"
    with rt.store.lock(command_key):
        meta = rt.store.load(command_key)
        if meta is None:
            meta = IncidentMeta(key=command_key, receiver=COMMAND_RECEIVER, group_key=f"/{cmd.name}",
                                status="firing", first_received_at=received_at, first_seen=datetime.now(UTC),
                                base_card=working_card(cmd), version=1, channels=[channel_key],
                                thread_id=cmd.thread_id)
            rt.store.save(meta)
    if meta.status == "firing":  # not finished before (a redelivery after a crash runs it again)
        deliver_card.delay(command_key, channel_key)
        card = execute(cmd, rt.settings, _with_context(rt, cmd))
        with rt.store.lock(command_key):
            meta.base_card = card
            meta.status = "resolved"
            meta.version += 1
            rt.store.save(meta)
        if rt.settings.llm.configured and cmd.name in LLM_COMMANDS and card.status is CardStatus.done and (
                cmd.name != "logs" or logs_need_llm(card)):
            explain_command.delay(command_key, cmd.name, cmd.model_dump(mode="json"))
    deliver_card.delay(command_key, channel_key)
    return "done"


@celery_app.task(name="bot.tasks.explain_command")
def explain_command(command_key: str, name: str, payload: dict[str, Any] | None = None) -> str:
    """/ceph and /redis cards get an explanation; an /ask answer is rewritten by the model from the
    sections found (the card showed those sections meanwhile)."""
    rt = runtime()
    meta = rt.store.load(command_key)
    card = meta.base_card if meta else None
    if meta is None or card is None:
        return "gone"
    if name in LLM_HANDLERS:
        cmd = Command.model_validate(payload)
        written = execute(cmd, rt.settings, _with_context(rt, cmd, _llm_client()))
        status = "answered" if written.footer != card.footer else "unchanged"
    else:
        if explain.has_llm_result(card.findings, card.unavailable):
            return "done"
        result = explain.explain(explain.diagnosis_input(card, EXPLAINED_COMMANDS.get(name, name)), _llm_client(),
                                 budget_tokens=rt.settings.llm.prompt_budget_tokens, task="diagnosis")
        written, status = explain.explained_card(card, result), result.status
    rt.metrics.inc("opsbot_llm_explanations", [name if name in LLM_HANDLERS else "diagnosis", status])
    with rt.store.lock(command_key):
        meta = rt.store.load(command_key)
        if meta is None or meta.base_card != card:
            return "superseded"
        if written == card:
            return status
        meta.base_card = written
        meta.version += 1
        rt.store.save(meta)
    for channel in meta.channels:
        deliver_card.delay(command_key, channel)
    return status


def _post(chat: ChatChannel, channel: str, card: Card, thread_id: str | None) -> PostRef:
    try:
        return chat.post(channel, card, thread_id)
    except ChatError as exc:
        if thread_id is None or exc.retryable:
            raise
        log.warning("could not post in thread %s (%s); posting in the channel instead", thread_id, exc)
        return chat.post(channel, card)


def _placed(rt: Runtime, cmd: Command) -> Command:
    """A mention is answered in its thread; in the thread of an incident's card, about that incident."""
    if cmd.thread_id is None:
        return cmd
    root = cmd.thread_id
    chat = rt.channels.get(cmd.platform)
    if chat is not None:
        try:
            root = chat.thread_root(cmd.channel, cmd.thread_id)
        except ChatError as exc:  # answered in the mention's own thread, without the incident
            log.warning("could not find the thread of %s message %s: %s", cmd.platform, cmd.thread_id, exc)
    return cmd.model_copy(update={"thread_id": root, "incident_key": rt.store.incident_for_thread(cmd.platform, root)})


def _with_context(rt: Runtime, cmd: Command, llm: LLMClient | None = None) -> CommandHandler | None:
    """/ask and /logs with what only a worker has: the LLM client, and for /ask the incident whose
    thread it was asked in."""
    if cmd.name not in LLM_HANDLERS:
        return None
    if cmd.name != ASK_COMMAND:
        return partial(LLM_HANDLERS[cmd.name], llm=llm)
    meta = rt.store.load(cmd.incident_key) if cmd.incident_key else None
    return partial(ask_command, llm=llm, incident=meta.card if meta else None)


@signals.worker_ready.connect
def _warm_up_llm(**_: Any) -> None:
    settings = runtime().settings.llm
    if settings.configured and settings.warm_up:  # in the background: the worker starts consuming at once
        threading.Thread(target=_llm_client().warm_up, name="llm-warm-up", daemon=True).start()


@cache
def _llm_client() -> LLMClient:
    """One per worker process: it remembers the server's models and flavour. (Imported here: LangChain
    takes a second to import, and only workers that explain need it.)"""
    from integrations.llm.client import LLMClient

    rt = runtime()
    return LLMClient(rt.settings.llm, rt.redis, rt.metrics)


def retry_delay(retries: int, retry_after: float | None) -> float:
    """Honour the platform's Retry-After; otherwise exponential backoff with full jitter, capped."""
    if retry_after is not None:
        return max(0.0, retry_after) + random.uniform(0, 0.5)
    return random.uniform(0.5, 1.0) * min(300.0, 2.0 ** retries)
