"""Celery tasks for slash commands and mentions: a "working" card at once, then the handler's card.

run_command (queue collect): the command is kept as a one-card incident (receiver "command"), so
  delivery, retries and in-place updates go through deliver_card like every alert card. A mention
  is answered in its thread; in the thread of an incident's card, /ask knows that incident.
explain_command (queue llm): when an LLM is configured and it can help, one more pass: /ceph and
  /redis get an explanation, /ask an answer written from the sections found, /logs the clauses
  the rules could not build, a config review the heavy model's issues. The card is updated in place.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from bot.app_keys import DEDUPE_PREFIX
from bot.celery_app import celery_app
from bot.commands import CommandHandler, execute, working_card
from bot.incidents import IncidentMeta
from bot.outbox import mark_processed
from bot.runtime import Runtime, runtime
from bot.tasks import COMMAND_RECEIVER, deliver_card, llm_client, llm_gate
from core.cards import Card, CardStatus
from core.events import Command
from handlers.commands import COMMANDS, LLMFollowUp
from handlers.llm import explain
from integrations.chat import ChatError

if TYPE_CHECKING:
    from integrations.llm.client import LLMClient

log = logging.getLogger("opsbot.tasks")
# Task names say bot.tasks.* (where they were first defined): messages already queued stay valid.


def _worth_llm(name: str, card: Card) -> bool:
    """Whether a finished command card gets the LLM pass its spec names."""
    spec = COMMANDS.get(name)
    return spec is not None and spec.follow_up is not LLMFollowUp.none and spec.llm_worth(card)


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
        if rt.settings.llm.configured and card.status is CardStatus.done and _worth_llm(cmd.name, card):
            explain_command.delay(command_key, cmd.name, cmd.model_dump(mode="json"))
    deliver_card.delay(command_key, channel_key)
    mark_processed(rt.redis, DEDUPE_PREFIX + command_key, command_key, meta.version)
    return "done"


@celery_app.task(name="bot.tasks.explain_command")
def explain_command(command_key: str, name: str, payload: dict[str, Any] | None = None) -> str:
    """The LLM pass over a finished command card (see the module docstring); updated in place."""
    rt = runtime()
    meta = rt.store.load(command_key)
    card = meta.base_card if meta else None
    if meta is None or card is None:
        return "gone"
    spec = COMMANDS.get(name)
    if spec is None:
        return "gone"
    if card.hypothesis is not None or f" · {explain.LLM_NOTE}" in card.footer:
        return "done"  # a redelivery after the pass already ran
    client = llm_client()
    gate = llm_gate(rt, client)
    if not gate.show:  # a model that has not proven itself is not asked: its answer would not be shown
        written, status = card.model_copy(update={"footer": f"{card.footer} · {gate.line}"}), "hidden"
    elif spec.follow_up is LLMFollowUp.rerun:
        cmd = Command.model_validate(payload)
        written = execute(cmd, rt.settings, _with_context(rt, cmd, client))
        status = "answered" if written.footer != card.footer else "unchanged"
    else:
        result = explain.explain(explain.diagnosis_input(card, spec.explain_subject or name), client,
                                 budget_tokens=rt.settings.llm.prompt_budget_tokens, task="diagnosis")
        written, status = explain.explained_card(card, result, gate), result.status
    rt.metrics.inc("opsbot_llm_explanations", [name if spec.follow_up is LLMFollowUp.rerun else "diagnosis", status])
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
    """Handlers that take what only a worker has: the LLM client, and the incident whose thread the
    command was asked in."""
    spec = COMMANDS.get(cmd.name)
    if spec is None or spec.follow_up is not LLMFollowUp.rerun:
        return None
    if not spec.wants_incident:
        return partial(spec.handle, llm=llm)
    meta = rt.store.load(cmd.incident_key) if cmd.incident_key else None
    return partial(spec.handle, llm=llm, incident=meta.card if meta else None)
