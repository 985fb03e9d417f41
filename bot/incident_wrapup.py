"""Incident wrap-up and post-mortem drafts, for the tasks that run them.

On resolve, the incident's thread gets one summary: duration, timeline, findings, what people wrote
in the thread, the runbooks on the card. The resolved card carries a "Draft post-mortem" button;
pressing it writes a Markdown draft into `knowledge.drafts_dir` (under the data directory by
default), ingests it into the knowledge base so the next similar alert says "seen before", and
says where the draft is in the thread.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bot.incidents import IncidentMeta
from bot.runtime import Runtime
from core.events import Action
from handlers.wrapup import AlertSpan, IncidentHistory, wrapup_text, write_draft
from integrations.chat import ChatError, ThreadMessage

log = logging.getLogger("opsbot.wrapup")


def read_thread(rt: Runtime, meta: IncidentMeta) -> list[ThreadMessage]:
    """What people wrote under the card, in every channel that shows it (people answer where they saw
    it); a thread that cannot be read is logged and skipped, never a failed wrap-up."""
    messages: list[ThreadMessage] = []
    for channel_key in meta.channels:
        platform = channel_key.partition(":")[0]
        ref = rt.store.post_ref(meta.key, channel_key)
        chat = rt.channels.get(platform)
        if ref is None or chat is None:
            continue
        try:
            messages.extend(m for m in chat.thread(ref) if m not in messages)
        except ChatError as exc:
            log.warning("incident %s: could not read the %s thread: %s", meta.key, platform, exc)
    return messages


def history_of(meta: IncidentMeta, tried: list[ThreadMessage]) -> IncidentHistory:
    card = meta.card
    return IncidentHistory(
        key=meta.key, title=card.title if card else meta.group_key, labels=meta.labels,
        alerts=[AlertSpan(name=a.name, where=a.where, started=a.startsAt, ended=a.endsAt)
                for a in meta.alerts.values()],
        findings=card.findings if card else [], citations=card.citations if card else [],
        notes=meta.notes, tried=tried,
    )


def wrap_up(rt: Runtime, incident_key: str) -> bool:
    """Append the resolve summary to the incident's notes once; True when there is something to deliver."""
    meta = rt.store.load(incident_key)
    if meta is None or meta.status != "resolved" or meta.wrapped_up:
        return False
    text = wrapup_text(history_of(meta, read_thread(rt, meta)))
    with rt.store.lock(incident_key):
        meta = rt.store.load(incident_key)
        if meta is None or meta.status != "resolved" or meta.wrapped_up:
            return False  # fired again, or a redelivery already did it
        meta.notes.append(text)
        meta.wrapped_up = True
        meta.version += 1
        rt.store.save(meta)
    return True


def drafts_dir(rt: Runtime) -> Path:
    configured = rt.settings.knowledge.drafts_dir
    return configured if configured is not None else rt.settings.data_dir / "postmortem-drafts"


def draft(rt: Runtime, action: Action) -> bool:
    """Write and ingest the post-mortem draft of the incident the button names; note the outcome."""
    meta = rt.store.load(action.value)
    if meta is None:
        log.warning("draft requested for unknown incident %s", action.value)
        return False
    path = write_draft(history_of(meta, read_thread(rt, meta)), drafts_dir(rt))
    note = f"Post-mortem draft{f' (asked by {action.user})' if action.user else ''}: {path}."
    if rt.settings.knowledge.enabled:
        from knowledge.errors import KnowledgeError
        from knowledge.service import ingest_paths

        try:
            ingest_paths(rt.settings, [path], doc_type="postmortem")
            note += " It is in the knowledge base now: similar alerts will link it as seen before."
        except KnowledgeError as exc:
            note += f" It could not be indexed ({exc}); `opsbot knowledge ingest {path.parent}` will retry."
    with rt.store.lock(action.value):
        meta = rt.store.load(action.value)
        if meta is None:
            return False
        meta.notes.append(note)
        meta.version += 1
        rt.store.save(meta)
    return True
