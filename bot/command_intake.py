"""The web side of slash commands, shared by Slack and Mattermost: answer help inline, queue the rest.

A command is queued once per platform request id (Slack and Mattermost both send a `trigger_id`),
so a platform's retry of the same request never runs it twice.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from aiohttp import web

from bot.app_keys import DEDUPE_PREFIX, PUBLISHER, SETTINGS
from bot.celery_app import QUEUE_COLLECT
from bot.commands import command_for_mention, instant_reply, normalise
from core.cards import DRAFT_BUTTON, FEEDBACK_BUTTONS, Card
from core.events import Action, Command, Mention

log = logging.getLogger("opsbot.commands")


@dataclass(frozen=True)
class Accepted:
    """What to tell the user right away: a card (help), or that the work was queued, or an error."""

    card: Card | None = None
    queued: bool = False
    error: str = ""


async def accept_command(app: web.Application, cmd: Command, request_id: str) -> Accepted:
    cmd = normalise(cmd)
    card = instant_reply(cmd, app[SETTINGS])
    if card is not None:
        return Accepted(card=card)
    return await queue_command(app, cmd, request_id)


async def accept_mention(app: web.Application, mention: Mention, request_id: str) -> Accepted:
    """A mention has no inline answer on either platform: even help is posted by a worker."""
    return await queue_command(app, command_for_mention(mention), request_id)


async def queue_command(app: web.Application, cmd: Command, request_id: str) -> Accepted:
    settings = app[SETTINGS]
    command_key = f"command:{cmd.platform}:{request_id}"
    try:
        await app[PUBLISHER].publish_tracked(  # in the outbox (bot.outbox) until its answer is posted
            DEDUPE_PREFIX + command_key, settings.celery.dedupe_ttl_s, "bot.tasks.run_command",
            [command_key, cmd.model_dump(mode="json"), time.time()], QUEUE_COLLECT, argsrepr=f"(/{cmd.name})",
        )
    except aioredis.RedisError as exc:
        log.error("broker unreachable, /%s refused: %s", cmd.name, exc)
        return Accepted(error="The bot's queue is unreachable right now; please try again in a minute.")
    return Accepted(queued=True)


# Buttons the cards carry, and the task that serves each; anything else is answered as unsupported.
ACTION_TASKS = {DRAFT_BUTTON: "bot.tasks.run_action", **dict.fromkeys(FEEDBACK_BUTTONS, "bot.tasks.run_action")}
ACTION_DEDUPE_TTL_S = 60  # a double click, or a platform retry, runs the action once


async def accept_action(app: web.Application, action: Action) -> Accepted:
    if action.action not in ACTION_TASKS:
        return Accepted(error=f"The button `{action.action}` is not supported by this version.")
    key = f"action:{action.action}:{action.value}"
    if action.action in FEEDBACK_BUTTONS:  # a vote is per person: one person's click must not swallow another's
        key += f":{action.platform}:{action.user_id or action.user}"
        if action.text:  # a reason sent after the press (bot.feedback_reason) is not that press again
            key += ":" + hashlib.sha256(action.text.encode()).hexdigest()[:16]
    try:
        await app[PUBLISHER].publish_once(
            DEDUPE_PREFIX + key, ACTION_DEDUPE_TTL_S, ACTION_TASKS[action.action], [action.model_dump(mode="json")],
            QUEUE_COLLECT, argsrepr=f"({action.action})",
        )
    except aioredis.RedisError as exc:
        log.error("broker unreachable, button %s refused: %s", action.action, exc)
        return Accepted(error="The bot's queue is unreachable right now; please try again in a minute.")
    return Accepted(queued=True)


def ack_text(cmd_name: str, text: str) -> str:
    shown = f"/{cmd_name.lstrip('/')} {text.splitlines()[0][:60] if text else ''}".strip()
    return f"⏳ `{shown}`: working on it; the card will appear in this channel."
