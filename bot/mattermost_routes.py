"""Mattermost ingress: slash commands at /mattermost/command, mentions through an outgoing webhook
at /mattermost/mention, and button callbacks at /mattermost/action.

Mattermost sends each slash command as a form post carrying the command's token (also as
`Authorization: Token …`); it is compared in constant time with the configured tokens and a
mismatch is a 401. Buttons come back with the context the card put on them; that context carries
an HMAC signature so a forged callback is a 401 too.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from aiohttp import web

from bot.command_intake import accept_action, accept_command, accept_mention, ack_text
from core.events import Action, Command, Mention
from integrations.mattermost import render_mattermost, verify_action

log = logging.getLogger("opsbot.mattermost")

COMMAND_TOKENS: web.AppKey[list[str]] = web.AppKey("mattermost_command_tokens", list)
ACTION_SECRET: web.AppKey[str] = web.AppKey("mattermost_action_secret", str)
OUTGOING_TOKENS: web.AppKey[list[str]] = web.AppKey("mattermost_outgoing_tokens", list)


def _token_ok(presented: str, tokens: list[str]) -> bool:
    # Compare with every token so the time taken does not say which one nearly matched.
    results = [hmac.compare_digest(presented.encode(), token.encode()) for token in tokens]
    return bool(presented) and any(results)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def mattermost_command(request: web.Request) -> web.Response:
    form = await request.post() if request.content_type == "application/x-www-form-urlencoded" else {}
    header_token = request.headers.get("Authorization", "")
    presented = str(form.get("token", "")) or header_token.removeprefix("Token ").strip()
    if not _token_ok(presented, request.app[COMMAND_TOKENS]):
        log.warning("mattermost command refused: wrong or missing token")
        return _error(401, "invalid command token")
    if not form.get("command") or not form.get("channel_id"):
        return _error(400, "a Mattermost slash command needs the fields command and channel_id")
    cmd = Command(platform="mattermost", channel=str(form["channel_id"]), user=str(form.get("user_name", "")),
                  name=str(form["command"]), text=str(form.get("text", "")),
                  response_url=str(form.get("response_url", "")) or None)
    accepted = await accept_command(request.app, cmd, str(form.get("trigger_id", "")) or str(form["channel_id"]))
    if accepted.card is not None:
        rendered = render_mattermost(accepted.card)
        return web.json_response({"response_type": "ephemeral", "text": rendered["message"],
                                  "attachments": rendered["props"]["attachments"]})
    return web.json_response({"response_type": "ephemeral", "text": accepted.error or ack_text(cmd.name, cmd.text)})


async def mattermost_mention(request: web.Request) -> web.Response:
    """An outgoing webhook (trigger word such as `@opsbot`): the text becomes a command and the card
    is posted by a worker; the empty answer posts nothing in the meantime."""
    if request.content_type == "application/json":
        try:
            payload: Any = await request.json()
        except ValueError:
            return _error(400, "expected a JSON body")
        payload = payload if isinstance(payload, dict) else {}
    else:
        payload = dict(await request.post())
    if not _token_ok(str(payload.get("token", "")), request.app[OUTGOING_TOKENS]):
        log.warning("mattermost mention refused: wrong or missing token")
        return _error(401, "invalid webhook token")
    if not payload.get("channel_id"):
        return _error(400, "an outgoing webhook needs the field channel_id")
    text = str(payload.get("text", ""))
    trigger = str(payload.get("trigger_word", ""))
    mention = Mention(platform="mattermost", channel=str(payload["channel_id"]), user=str(payload.get("user_name", "")),
                      text=text[len(trigger):] if trigger and text.startswith(trigger) else text,
                      thread_id=str(payload.get("post_id", "")) or None)
    accepted = await accept_mention(request.app, mention, str(payload.get("post_id", "")) or str(payload["channel_id"]))
    return web.json_response({"text": accepted.error} if accepted.error else {})


async def mattermost_action(request: web.Request) -> web.Response:
    try:
        body: Any = await request.json()
    except ValueError:
        return _error(400, "expected a JSON body")
    context = body.get("context") if isinstance(body, dict) else None
    if not isinstance(context, dict):
        return _error(400, "the callback has no context")
    action, value = str(context.get("action", "")), str(context.get("value", ""))
    if not verify_action(request.app[ACTION_SECRET], action, value, str(context.get("signature", ""))):
        log.warning("mattermost action refused: bad signature")
        return _error(401, "invalid action signature")
    pressed = Action(platform="mattermost", channel=str(body.get("channel_id", "")),
                     user=str(body.get("user_name", "")), action=action, value=value,
                     post_id=str(body.get("post_id", "")) or None)
    accepted = await accept_action(request.app, pressed)
    answer = accepted.error or "Working on it; the result goes to the card's thread."
    return web.json_response({"ephemeral_text": answer})


def add_mattermost_routes(app: web.Application, *, command_tokens: list[str], action_secret: str,
                          outgoing_tokens: list[str]) -> None:
    app[COMMAND_TOKENS] = command_tokens
    app[ACTION_SECRET] = action_secret
    app[OUTGOING_TOKENS] = outgoing_tokens
    app.router.add_post("/mattermost/command", mattermost_command)
    app.router.add_post("/mattermost/mention", mattermost_mention)
    app.router.add_post("/mattermost/action", mattermost_action)
