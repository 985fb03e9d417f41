"""Mattermost ingress: slash commands at /mattermost/command, mentions through an outgoing webhook
at /mattermost/mention, button callbacks at /mattermost/action, and the "wrong cause" dialog's
submissions at /mattermost/dialog.

Mattermost sends each slash command as a form post carrying the command's token (also as
`Authorization: Token …`); it is compared in constant time with the configured tokens and a
mismatch is a 401. Buttons come back with the context the card put on them; that context carries
an HMAC signature so a forged callback is a 401 too; so does the state of the "wrong cause" dialog
a press opens (bot.feedback_reason), bound to the presser and the channel. A body of the wrong
media type is a 415, a malformed one (not UTF-8, not JSON, a field of the wrong type) a 400 naming
what is wrong.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bot import feedback_reason
from bot.app_keys import EXECUTOR, SETTINGS
from bot.command_intake import accept_action, accept_command, accept_mention, ack_text
from bot.config import Settings
from bot.request_input import BadRequest, body_bytes, form_fields, json_object, secure_equal, text_field, validated
from core.cards import FEEDBACK_BUTTONS, FEEDBACK_WRONG
from core.events import Action, Command, Mention
from handlers.feedback import REASON_MAX
from integrations.chat import ChatError
from integrations.mattermost import MattermostChannel, render_mattermost, textarea_dialog, verify_action
from integrations.neutralise import LinkPolicy

log = logging.getLogger("opsbot.mattermost")

COMMAND_TOKENS: web.AppKey[list[str]] = web.AppKey("mattermost_command_tokens", list)
ACTION_SECRET: web.AppKey[str] = web.AppKey("mattermost_action_secret", str)
OUTGOING_TOKENS: web.AppKey[list[str]] = web.AppKey("mattermost_outgoing_tokens", list)
DIALOG_PATH = "/mattermost/dialog"
DIALOG_TIMEOUT_S = 3.0  # Mattermost's trigger ids expire after 3 s: waiting longer cannot help


@dataclass(frozen=True)
class DialogClient:
    """The web process's own Mattermost client: only for opening dialogs, which must happen within the
    press's request (a trigger id is good for 3 s), and where their submissions go."""

    channel: MattermostChannel
    dialog_url: str

    @classmethod
    def of(cls, settings: Settings) -> DialogClient | None:
        mm, public_url = settings.mattermost, settings.web.public_url
        if not (mm.url and mm.token and public_url):
            return None
        channel = MattermostChannel(url=mm.url, token=mm.token.get_secret_value(), basepath=mm.basepath,
                                    timeout=DIALOG_TIMEOUT_S)
        return cls(channel=channel, dialog_url=f"{public_url.rstrip('/')}{DIALOG_PATH}")


DIALOGS: web.AppKey[DialogClient] = web.AppKey("mattermost_dialogs", DialogClient)


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
    if not verify_action(request.app[ACTION_SECRET], action, value, signature):
        log.warning("mattermost action refused: bad signature")
        return _error(401, "invalid action signature")
    pressed = Action(platform="mattermost", channel=text_field(body, "channel_id"),
                     user=text_field(body, "user_name"), user_id=text_field(body, "user_id"), action=action,
                     value=value, post_id=text_field(body, "post_id") or None)
    if action == FEEDBACK_WRONG and (trigger_id := text_field(body, "trigger_id")):
        await _open_reason_dialog(request.app, trigger_id, pressed)  # first: the trigger lives 3 s
    accepted = await accept_action(request.app, pressed)  # the vote counts now, whether or not a reason follows
    done = "Thanks: your verdict is recorded." if action in FEEDBACK_BUTTONS else \
        "Working on it; the result goes to the card's thread."
    answer = accepted.error or done
    return web.json_response({"ephemeral_text": answer})


async def _open_reason_dialog(app: web.Application, trigger_id: str, pressed: Action) -> None:
    """The "wrong cause" dialog, its state signed; when Mattermost refuses it the vote still counts."""
    chat = app.get(DIALOGS)
    state = feedback_reason.ReasonState.of(pressed)
    if chat is None or state is None:  # no bot token or public URL here: the vote counts without a reason
        return
    state = state.signed(app[ACTION_SECRET])
    dialog = textarea_dialog(feedback_reason.CALLBACK_ID, chat.dialog_url, feedback_reason.TITLE,
                             feedback_reason.LABEL, state.dumps(), field=feedback_reason.FIELD,
                             max_length=REASON_MAX, note=feedback_reason.NOTE)
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(app[EXECUTOR], chat.channel.open_dialog, trigger_id, dialog)
    except ChatError as exc:
        log.warning("mattermost dialog for a wrong-cause reason failed: %s", exc)


class DialogSubmission(BaseModel):
    """What Mattermost POSTs when the dialog is sent (model.SubmitDialogRequest)."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["dialog_submission"]
    callback_id: str
    state: str = Field(max_length=2000)
    user_id: str = Field(min_length=1, max_length=100)
    channel_id: str = Field(min_length=1, max_length=100)
    submission: dict[str, str | None] = Field(default_factory=dict)
    cancelled: bool = False


async def mattermost_dialog(request: web.Request) -> web.Response:
    """A "wrong cause" dialog sent: the state must be ours, signed for this user in this channel (401 when
    not); the reason then goes to the worker as the press it completes. An empty answer closes the dialog."""
    body = await _payload(request, form=False, json=True)
    submitted = validated(DialogSubmission, body, "dialog submission")
    if submitted.callback_id != feedback_reason.CALLBACK_ID:
        return _error(400, f"unknown dialog {submitted.callback_id[:60]!r}")
    state = feedback_reason.ReasonState.loads(submitted.state)
    if not state.verify(request.app[ACTION_SECRET]) or state.user_id != submitted.user_id or \
            state.channel != submitted.channel_id:
        log.warning("mattermost dialog refused: bad, stale or someone else's state")
        return _error(401, "invalid dialog state")
    text = submitted.submission.get(feedback_reason.FIELD) or ""
    if submitted.cancelled or not text.strip():
        return web.json_response({})
    reason = feedback_reason.reason_action("mattermost", state, user="", user_id=submitted.user_id, text=text)
    accepted = await accept_action(request.app, reason)
    return web.json_response({"error": accepted.error} if accepted.error else {})


def add_mattermost_routes(app: web.Application, *, command_tokens: list[str], action_secret: str,
                          outgoing_tokens: list[str]) -> None:
    app[COMMAND_TOKENS] = command_tokens
    app[ACTION_SECRET] = action_secret
    app[OUTGOING_TOKENS] = outgoing_tokens
    if action_secret and (dialogs := DialogClient.of(app[SETTINGS])) is not None:
        app[DIALOGS] = dialogs
    app.router.add_post("/mattermost/command", mattermost_command)
    app.router.add_post("/mattermost/mention", mattermost_mention)
    app.router.add_post("/mattermost/action", mattermost_action)
    app.router.add_post(DIALOG_PATH, mattermost_dialog)
