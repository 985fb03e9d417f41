"""Celery tasks: an Alertmanager notification becomes an incident, a card, and chat posts.

process_alert_group (queue alerts): fold the notification into the incident under its lock,
  rebuild the card, bump its version, then fan out one delivery per chat channel.
deliver_card (queue chat): make one channel show the incident's latest card: post it the first
  time, update it in place after, post pending thread notes. Chat errors retry with exponential
  backoff and jitter (429 waits the Retry-After the platform asked for).
enrich_incident (queue collect): run the evidence enrichers and fold their findings into the card.
run_command (queue collect): a slash command's card: "working" first, then the handler's result.
  It is kept as a one-card incident (receiver "command") so delivery, retries and in-place updates
  go through deliver_card like every alert card.
Every task is idempotent against the incident state, so redelivery after a crash is harmless.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import UTC, datetime
from typing import Any

from celery import Task

from bot.celery_app import celery_app
from bot.commands import execute, working_card
from bot.events import AlertGroup, Command
from bot.incidents import IncidentMeta, merge_notification
from bot.runtime import runtime
from handlers.enrichers import build_enrichers
from handlers.triage import enrich, first_card, format_duration
from integrations.chat import ChatError

log = logging.getLogger("opsbot.tasks")
COMMAND_RECEIVER = "command"


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
        if meta.status == "resolved" and not new:
            meta.notes.append(_resolved_note(meta))
        elif was_resolved and meta.status == "firing":
            meta.notes.append(f"Firing again: {', '.join(sorted({a.name for a in group.firing}))}")
        meta.version += 1
        rt.store.save(meta)
    log.info("incident %s v%d: %s", key, meta.version, change.model_dump(exclude_defaults=True))
    for channel in meta.channels:
        deliver_card.delay(key, channel)
    if (change.new_incident or change.joined) and meta.status == "firing" and build_enrichers(rt.settings):
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
    with rt.store.lock(incident_key, f":{channel_key}"):
        meta = rt.store.load(incident_key)
        card = meta.card if meta else None
        if meta is None or card is None:
            return "gone"
        try:
            ref = rt.store.post_ref(incident_key, channel_key)
            if ref is None:
                ref = chat.post(channel, card)
                rt.store.set_post_ref(incident_key, channel_key, ref)
                if meta.receiver != COMMAND_RECEIVER:
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
            if exc.retryable and retries < rt.settings.celery.chat_max_retries:
                countdown = retry_delay(retries, exc.retry_after)
                log.warning("incident %s: %s error (%s); retry %d in %.1f s",
                            incident_key, platform, exc, retries + 1, countdown)
                raise self.retry(countdown=countdown, exc=exc) from None
            log.error("incident %s: giving up on %s: %s", incident_key, channel_key, exc)
            return "failed"
    return "delivered"


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
    return "enriched"


@celery_app.task(name="bot.tasks.run_command")
def run_command(command_key: str, payload: dict[str, Any], received_at: float) -> str:
    rt = runtime()
    cmd = Command.model_validate(payload)
    channel_key = f"{cmd.platform}:{cmd.channel}"
    with rt.store.lock(command_key):
        meta = rt.store.load(command_key)
        if meta is None:
            meta = IncidentMeta(key=command_key, receiver=COMMAND_RECEIVER, group_key=f"/{cmd.name}",
                                status="firing", first_received_at=received_at, first_seen=datetime.now(UTC),
                                base_card=working_card(cmd), version=1, channels=[channel_key])
            rt.store.save(meta)
    if meta.status == "firing":  # not finished before (a redelivery after a crash runs it again)
        deliver_card.delay(command_key, channel_key)
        card = execute(cmd, rt.settings)
        with rt.store.lock(command_key):
            meta.base_card = card
            meta.status = "resolved"
            meta.version += 1
            rt.store.save(meta)
    deliver_card.delay(command_key, channel_key)
    return "done"


def retry_delay(retries: int, retry_after: float | None) -> float:
    """Honour the platform's Retry-After; otherwise exponential backoff with full jitter, capped."""
    if retry_after is not None:
        return max(0.0, retry_after) + random.uniform(0, 0.5)
    return random.uniform(0.5, 1.0) * min(300.0, 2.0 ** retries)


def _resolved_note(meta: IncidentMeta) -> str:
    ended = max((a.endsAt or a.startsAt) for a in meta.alerts.values())
    duration = format_duration((ended - meta.first_seen).total_seconds())
    names = ", ".join(sorted({a.name for a in meta.alerts.values()}))
    return f"Resolved after {duration} ({names}; {len(meta.alerts)} alert(s)). Resolved at {_fmt(ended)}."


def _fmt(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
