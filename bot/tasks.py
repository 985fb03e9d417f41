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
explain_incident (queue llm): when an LLM is configured, chained after enrich_incident: one
  schema-bound LLM call explains the card, which is updated in place (or says why the LLM could not
  help). Its own queue, so a slow model never delays a first card.
Slash commands and mentions have their tasks in bot.command_tasks.
Every task is idempotent against the incident state, so redelivery after a crash is harmless.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from functools import cache
from typing import TYPE_CHECKING, Any

from celery import Task, signals

from bot import feedback_votes, incident_wrapup, storms
from bot.app_keys import DEDUPE_PREFIX
from bot.celery_app import celery_app
from bot.incidents import IncidentMeta, IncidentStore, merge_notification
from bot.outbox import Outbox, mark_processed, start_sweeper
from bot.runtime import Runtime, runtime
from core.cards import DRAFT_BUTTON, FEEDBACK_BUTTONS, Card
from core.enrichment import Enrichment
from core.events import Action, AlertGroup
from handlers.enrichers.registry import build_enrichers
from handlers.llm import explain
from handlers.triage import enrich, first_card
from integrations.chat import ChatChannel, ChatError, PostRef
from integrations.images import png_bytes

if TYPE_CHECKING:
    from handlers.llm.gate import GateVerdict
    from integrations.llm.client import LLMClient

log = logging.getLogger("opsbot.tasks")
COMMAND_RECEIVER = "command"  # commands are kept as one-card incidents (bot.command_tasks)


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
            _redeliver_stale(rt, meta)  # a delivery lost to a broker outage is made good now
            _processed(rt, group, meta)
            return "unchanged"
        was_resolved = meta.status == "resolved"
        change = merge_notification(meta, group)
        change.new_incident = new
        meta.last_signature = group.idempotency_key
        if not change.anything:
            rt.store.save(meta)
            log.info("incident %s: notification changed nothing (stale %s)", key, change.stale)
            _redeliver_stale(rt, meta)
            _processed(rt, group, meta)
            return "unchanged"
        meta.base_card = first_card(group, first_seen=meta.first_seen)
        plan = storms.decide(rt, meta, change)  # storm digest or own card; seen-before and related lines
        if was_resolved and meta.status == "firing":
            meta.notes.append(f"Firing again: {', '.join(sorted({a.name for a in group.firing}))}")
            meta.wrapped_up = False  # the next resolve gets its own summary
        meta.version += 1
        rt.store.save(meta)
        storms.join_late(rt, meta, change, plan)  # a storm that began while this incident was on its way
    log.info("incident %s v%d: %s", key, meta.version, change.model_dump(exclude_defaults=True))
    for channel in meta.channels:
        deliver_card.delay(key, channel)
    for digest in plan.digests:  # posted at once; later changes coalesce into one update a second
        storms.queue_digest(rt, digest, deliver_digest)
    for other in [k for k in plan.related if storms.relink(rt, k)]:
        _deliver_everywhere(rt, other)
    if meta.status == "resolved" and not new and not plan.in_storm:  # a storm's members share one wrap-up
        wrap_up_incident.delay(key)
    if plan.enrich(meta) and (change.new_incident or change.joined) and meta.status == "firing" and (
            build_enrichers(rt.settings) or rt.settings.llm.configured):
        enrich_incident.delay(key, payload)
    _processed(rt, group, meta)
    return "updated"


def _processed(rt: Runtime, group: AlertGroup, meta: IncidentMeta) -> None:
    """The outbox (bot.outbox) learns which version of the incident contains this notification."""
    mark_processed(rt.redis, DEDUPE_PREFIX + group.idempotency_key, meta.key, meta.version)


def _redeliver_stale(rt: Runtime, meta: IncidentMeta) -> None:
    """Queue a delivery for every channel that does not show the incident's latest version: the
    delivery queued the first time may have been lost when the broker went away."""
    for channel in meta.channels:
        if rt.store.delivered_version(meta.key, channel) < meta.version:
            deliver_card.delay(meta.key, channel)


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
        countdown = retry_delay(0, paused)
        rt.store.set_backing_off(incident_key, channel_key, countdown)
        deliver_card.apply_async((incident_key, channel_key), countdown=countdown, retries=self.request.retries)
        return "paused"
    with rt.store.lock(incident_key, f":{channel_key}"):
        meta = rt.store.load(incident_key)
        card = meta.card if meta else None
        if meta is None or card is None:
            return "gone"
        card = feedback_votes.decorate(rt, meta, card)  # 👍 / 👎 buttons and the tally
        try:
            ref = rt.store.post_ref(incident_key, channel_key)
            if ref is None:
                ref = _post(chat, channel, card, meta.thread_id)
                rt.store.set_post_ref(incident_key, channel_key, ref)
                storms.note_post(rt, channel_key)  # counts against the channel's post budget
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
            _attach_images(rt, chat, ref, card, incident_key, channel_key)
        except ChatError as exc:
            rt.metrics.inc("opsbot_chat_api_errors", [platform, "retryable" if exc.retryable else "fatal"])
            retries = self.request.retries
            if exc.retry_after is not None:
                rt.gate.hold(platform, exc.retry_after)
            if exc.retryable and retries < rt.settings.celery.chat_max_retries:
                countdown = retry_delay(retries, exc.retry_after)
                log.warning("incident %s: %s error (%s); retry %d in %.1f s",
                            incident_key, platform, exc, retries + 1, countdown)
                rt.store.set_backing_off(incident_key, channel_key, countdown)
                raise self.retry(countdown=countdown, exc=exc) from None
            log.error("incident %s: giving up on %s: %s", incident_key, channel_key, exc)
            rt.store.set_gave_up(incident_key, channel_key, meta.version)
            return "failed"
    return "delivered"


def _attach_images(rt: Runtime, chat: ChatChannel, ref: PostRef, card: Card, incident_key: str,
                   channel_key: str) -> None:
    """The card's graphs that this channel's thread does not have yet, as files (Slack, Mattermost)."""
    attach = getattr(chat, "attach", None)
    if not getattr(chat, "attaches", False) or attach is None or not card.images:
        return
    sent = rt.store.images_sent(incident_key, channel_key)
    for image in card.images:
        png = png_bytes(image.url)
        digest = hashlib.sha256(png).hexdigest()[:20] if png else ""
        if png and digest not in sent:
            attach(ref, image.title, png)
            rt.store.add_image_sent(incident_key, channel_key, digest)
            sent.append(digest)


@celery_app.task(name="bot.tasks.wrap_up_incident")
def wrap_up_incident(incident_key: str) -> str:
    rt = runtime()
    if not incident_wrapup.wrap_up(rt, incident_key):
        return "skipped"
    storms.remember_wrapped_up(rt, incident_key)  # the seen-before history, with the thread's first lines
    _deliver_everywhere(rt, incident_key)
    return "wrapped up"


@celery_app.task(name="bot.tasks.run_action")
def run_action(payload: dict[str, Any]) -> str:
    """A button press: a feedback vote (bot.feedback_votes), or "Draft post-mortem": do it, then say so in
    the incident's thread."""
    rt = runtime()
    action = Action.model_validate(payload)
    if action.action in FEEDBACK_BUTTONS:
        outcome = feedback_votes.vote(rt, action)
        if outcome == "counted":
            _deliver_everywhere(rt, action.value)
        return outcome
    if action.action != DRAFT_BUTTON or not incident_wrapup.draft(rt, action):
        return "ignored"
    _deliver_everywhere(rt, action.value)
    return "done"


@celery_app.task(name="bot.tasks.deliver_digest")
def deliver_digest(digest_key: str) -> str:
    """A storm digest's coalesced update (bot.storms.queue_digest): every channel shows its latest version."""
    rt = runtime()
    storms.digest_delivering(rt, digest_key)
    _deliver_everywhere(rt, digest_key)
    return "queued"


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
def explain_incident(incident_key: str, settled: bool = False) -> str:
    rt = runtime()
    meta = rt.store.load(incident_key)
    if meta is None or meta.base_card is None or meta.enrichment is None:
        return "gone"
    if explain.has_llm_result(meta.enrichment.notes, meta.enrichment.hypothesis):
        return "done"  # a redelivery after the card was already explained
    if not settled and (settle := storms.llm_settle(rt, meta, time.time())) > 0:  # a storm's beginning?
        explain_incident.apply_async((incident_key,), {"settled": True}, countdown=settle)
        return "settling"
    seen = meta.enrichment.model_dump_json()
    client = llm_client()
    gate = storms.llm_budget(rt, meta, llm_gate(rt, client))  # a spent budget: a footer line, no call
    if gate.show:
        result = explain.explain(explain.triage_input(meta.base_card, meta.enrichment), client,
                                 budget_tokens=rt.settings.llm.prompt_budget_tokens, task="triage")
        status: str = result.status

        def updated(enrichment: Enrichment) -> Enrichment:
            return explain.triage_enrichment(enrichment, result, gate)
    else:  # a model that has not proven itself is not asked at all: its answer would not be shown
        status = "hidden"

        def updated(enrichment: Enrichment) -> Enrichment:
            return enrichment.model_copy(update={"notes": [*enrichment.notes, gate.line]})
    rt.metrics.inc("opsbot_llm_explanations", ["triage", status])
    with rt.store.lock(incident_key):
        meta = rt.store.load(incident_key)
        if meta is None or meta.base_card is None or meta.enrichment is None:
            return "gone"
        if meta.enrichment.model_dump_json() != seen:
            return "superseded"  # re-enriched meanwhile (an alert joined); that enrichment chains its own
        meta.enrichment = updated(meta.enrichment)
        meta.version += 1
        rt.store.save(meta)
    for channel in meta.channels:
        deliver_card.delay(incident_key, channel)
    return status


def _post(chat: ChatChannel, channel: str, card: Card, thread_id: str | None) -> PostRef:
    try:
        return chat.post(channel, card, thread_id)
    except ChatError as exc:
        if thread_id is None or exc.retryable:
            raise
        log.warning("could not post in thread %s (%s); posting in the channel instead", thread_id, exc)
        return chat.post(channel, card)


@signals.worker_ready.connect
def _sweep_outbox(**_: Any) -> None:
    """Every worker sweeps (one sweep at a time across them): see bot.outbox. Its own Redis client:
    in a prefork worker this runs in the parent, which holds no runtime of its own."""
    import redis as redis_lib

    from bot.config import get_settings

    settings = get_settings()
    if not settings.redis_url:
        return
    client = redis_lib.Redis.from_url(settings.redis_url)
    outbox = Outbox(client, IncidentStore(client), older_than_s=settings.celery.redeliver_after_s)
    start_sweeper(outbox, lambda key, channel: deliver_card.delay(key, channel),
                  interval_s=max(1.0, settings.celery.redeliver_after_s / 3))


@signals.worker_ready.connect
def _warm_up_llm(**_: Any) -> None:
    settings = runtime().settings.llm
    if settings.configured and settings.warm_up:  # in the background: the worker starts consuming at once
        threading.Thread(target=llm_client().warm_up, name="llm-warm-up", daemon=True).start()


@cache
def llm_client() -> LLMClient:
    """One per worker process: it remembers the server's models and flavour. (Imported here: LangChain
    takes a second to import, and only workers that explain need it.)"""
    from integrations.llm.client import LLMClient

    rt = runtime()
    return LLMClient(rt.settings.llm, rt.redis, rt.metrics)


def llm_gate(rt: Runtime, client: LLMClient) -> GateVerdict:
    """Whether this model's answers may be shown: its stored competence check (`opsbot llm check`)."""
    from handlers.llm.gate import client_verdict

    llm = rt.settings.llm
    return client_verdict(client, mode=llm.gate, threshold=llm.gate_threshold, data_dir=rt.settings.data_dir,
                          redis_client=rt.redis)


def retry_delay(retries: int, retry_after: float | None) -> float:
    """Honour the platform's Retry-After; otherwise exponential backoff with full jitter, capped."""
    if retry_after is not None:
        return max(0.0, retry_after) + random.uniform(0, 0.5)
    return random.uniform(0.5, 1.0) * min(300.0, 2.0 ** retries)
