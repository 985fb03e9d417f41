"""Mattermost ingress: slash commands at /mattermost/command, mentions through an outgoing webhook
at /mattermost/mention, and button callbacks at /mattermost/action.

Mattermost sends each slash command as a form post carrying the command's token (also as
`Authorization: Token …`); it is compared in constant time with the configured tokens and a
mismatch is a 401. Buttons come back with the context the card put on them; that context carries
an HMAC signature so a forged callback is a 401 too. A body of the wrong media type is a 415, a
malformed one (not UTF-8, not JSON, a field of the wrong type) a 400 naming what is wrong.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from bot.app_keys import SETTINGS
from bot.command_intake import accept_action, accept_command, accept_mention, ack_text
from bot.request_input import BadRequest, body_bytes, form_fields, json_object, secure_equal, text_field
from core.cards import FEEDBACK_BUTTONS
from core.events import Action, Command, Mention
from integrations.mattermost import render_mattermost, verify_action
from integrations.neutralise import LinkPolicy

log = logging.getLogger("opsbot.mattermost")

COMMAND_TOKENS: web.AppKey[list[str]] = web.AppKey("mattermost_command_tokens", list)
ACTION_SECRET: web.AppKey[str] = web.AppKey("mattermost_action_secret", str)
OUTGOING_TOKENS: web.AppKey[list[str]] = web.AppKey("mattermost_outgoing_tokens", list)


def _token_ok(presented: str, tokens: list[str]) -> bool:
    # Compare with every token so the time taken does not say which one nearly matched.
    results = [secure_equal(presented, token) for token in tokens]
    return bool(presented) and any(results)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _media_type(request: web.Request) -> str:
    return request.headers.get("Content-Type", "").partition(";")[0].strip().lower()


async def _payload(request: web.Request, *, form: bool, json: bool) -> dict[str, Any]:
    """The body as a dict: a form (`application/x-www-form-urlencoded`) or a JSON object, as allowed;
    any other media type is 415, a malformed body 400 (`BadRequest`)."""
    media = _media_type(request)
    body = await body_bytes(request)
    if json and media == "application/json":
        return json_object(body)
    if form and media in ("application/x-www-form-urlencoded", ""):
        return form_fields(body)
    expected = " or ".join(m for m, ok in (("application/x-www-form-urlencoded", form), ("application/json", json))
                           if ok)
    raise BadRequest(f"expected {expected}, got {media or 'no Content-Type'}", status=415)


async def mattermost_command(request: web.Request) -> web.Response:
    form = await _payload(request, form=True, json=False)
    header_token = request.headers.get("Authorization", "")
    presented = text_field(form, "token") or header_token.removeprefix("Token ").strip()
    if not _token_ok(presented, request.app[COMMAND_TOKENS]):
        log.warning("mattermost command refused: wrong or missing token")
        return _error(401, "invalid command token")
    if not text_field(form, "command") or not text_field(form, "channel_id"):
        return _error(400, "a Mattermost slash command needs the fields command and channel_id")
    cmd = Command(platform="mattermost", channel=text_field(form, "channel_id"), user=text_field(form, "user_name"),
                  name=text_field(form, "command"), text=text_field(form, "text"),
                  response_url=text_field(form, "response_url") or None)
    accepted = await accept_command(request.app, cmd, text_field(form, "trigger_id") or cmd.channel)
    if accepted.card is not None:
        rendered = render_mattermost(accepted.card, links=LinkPolicy.of(request.app[SETTINGS].link_hosts))
        return web.json_response({"response_type": "ephemeral", "text": rendered["message"],
                                  "attachments": rendered["props"]["attachments"]})
    return web.json_response({"response_type": "ephemeral", "text": accepted.error or ack_text(cmd.name, cmd.text)})


async def mattermost_mention(request: web.Request) -> web.Response:
    """An outgoing webhook (trigger word such as `@opsbot`): the text becomes a command and the card
    is posted by a worker; the empty answer posts nothing in the meantime. A missing or null text is
    empty (the worker answers with help), never the word "None"."""
    payload = await _payload(request, form=True, json=True)
    if not _token_ok(text_field(payload, "token"), request.app[OUTGOING_TOKENS]):
        log.warning("mattermost mention refused: wrong or missing token")
        return _error(401, "invalid webhook token")
    channel = text_field(payload, "channel_id")
    if not channel:
        return _error(400, "an outgoing webhook needs the field channel_id")
    text = text_field(payload, "text")
    trigger = text_field(payload, "trigger_word")
    post_id = text_field(payload, "post_id")
    mention = Mention(platform="mattermost", channel=channel, user=text_field(payload, "user_name"),
                      text=text[len(trigger):] if trigger and text.startswith(trigger) else text,
                      thread_id=post_id or None)
    accepted = await accept_mention(request.app, mention, post_id or channel)
    return web.json_response({"text": accepted.error} if accepted.error else {})


async def mattermost_action(request: web.Request) -> web.Response:
    body = await _payload(request, form=False, json=True)
    context = body.get("context")
    if not isinstance(context, dict):
        return _error(400, "the callback has no context")
    action, value = text_field(context, "action"), text_field(context, "value")
    signature = text_field(context, "signature")
    # A signature is hex; anything else (non-ASCII text included) cannot be one and is never compared.
    if not signature.isascii() or not verify_action(request.app[ACTION_SECRET], action, value, signature):
        log.warning("mattermost action refused: bad signature")
        return _error(401, "invalid action signature")
    pressed = Action(platform="mattermost", channel=text_field(body, "channel_id"),
                     user=text_field(body, "user_name"), user_id=text_field(body, "user_id"), action=action,
                     value=value, post_id=text_field(body, "post_id") or None)
    accepted = await accept_action(request.app, pressed)
    done = "Thanks: your verdict is recorded." if action in FEEDBACK_BUTTONS else \
        "Working on it; the result goes to the card's thread."
    answer = accepted.error or done
    return web.json_response({"ephemeral_text": answer})


def add_mattermost_routes(app: web.Application, *, command_tokens: list[str], action_secret: str,
                          outgoing_tokens: list[str]) -> None:
    app[COMMAND_TOKENS] = command_tokens
    app[ACTION_SECRET] = action_secret
    app[OUTGOING_TOKENS] = outgoing_tokens
    app.router.add_post("/mattermost/command", mattermost_command)
    app.router.add_post("/mattermost/mention", mattermost_mention)
    app.router.add_post("/mattermost/action", mattermost_action)
