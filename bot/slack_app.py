"""Slack ingress: a slack-bolt AsyncApp served by the web process's aiohttp app at /slack/events.

Bolt checks the signing secret (HMAC of the body and timestamp, 5-minute replay window) on every
request and answers 401 itself. Slash commands are acknowledged within Slack's 3 s: help inline,
anything else with a short note while a worker builds the card. Mentions of the bot (`app_mention`
events) become the command their text asks for (handlers.intents). A "wrong cause" press also opens
a modal for an optional reason (`views.open`); its `view_submission` adds the text to the vote
(bot.feedback_reason). Socket Mode (no public URL needed) is an option: the same listeners, fed by
a WebSocket instead of HTTP.

Before bolt sees a request, `slack_events` checks what bolt would trip over (a timestamp that is not
an integer, a body that is not UTF-8, a payload that is not an object of Slack's shapes), so every
malformed request, signed or not, is a 4xx with a reason; bolt's error handler turns a listener's
complaint about a field into a 400 too.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Literal
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web
from pydantic import BaseModel, Field
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot import feedback_reason
from bot.app_keys import SETTINGS
from bot.command_intake import accept_action, accept_command, accept_mention, ack_text
from bot.request_input import (
    CLIENT_FAULTS,
    BadRequest,
    body_bytes,
    decode_utf8,
    form_fields,
    json_object,
    object_field,
    text_field,
    validated,
)
from core.cards import FEEDBACK_WRONG
from core.events import Action, Command, Mention
from handlers.feedback import REASON_MAX
from integrations.neutralise import LinkPolicy
from integrations.redaction import redact
from integrations.slack import render_slack, text_input_modal

log = logging.getLogger("opsbot.slack")

BOLT: web.AppKey[AsyncApp] = web.AppKey("slack_bolt", AsyncApp)
VERIFIER: web.AppKey[SignatureVerifier] = web.AppKey("slack_verifier", SignatureVerifier)
ANY = re.compile(".*")


def build_bolt_app(app: web.Application, *, signing_secret: str, bot_token: str, api_url: str) -> AsyncApp:
    bolt = AsyncApp(signing_secret=signing_secret, client=AsyncWebClient(token=bot_token, base_url=api_url),
                    process_before_response=True)

    @bolt.command(ANY)
    async def on_command(ack: AsyncAck, command: dict[str, Any]) -> None:
        cmd = Command(platform="slack", channel=text_field(command, "channel_id"),
                      user=text_field(command, "user_name"),
                      name=text_field(command, "command"), text=text_field(command, "text"),
                      response_url=text_field(command, "response_url") or None)
        accepted = await accept_command(app, cmd, text_field(command, "trigger_id") or cmd.response_url or "")
        if accepted.card is not None:
            text, blocks = render_slack(accepted.card, LinkPolicy.of(app[SETTINGS].link_hosts))
            await ack(response_type="ephemeral", text=text, blocks=blocks)
        else:
            await ack(response_type="ephemeral", text=accepted.error or ack_text(cmd.name, cmd.text))

    @bolt.event("app_mention")
    async def on_mention(event: dict[str, Any], body: dict[str, Any]) -> None:
        # Bolt acknowledges events itself; Slack re-sends an event it thinks was lost, and the
        # event_id makes that a duplicate, not a second card. A null text is an empty mention: help.
        if not isinstance(event, dict):
            raise BadRequest("the event must be an object")
        ts = text_field(event, "ts")
        mention = Mention(platform="slack", channel=text_field(event, "channel"), user=text_field(event, "user"),
                          text=text_field(event, "text"), thread_id=text_field(event, "thread_ts") or ts or None)
        await accept_mention(app, mention, text_field(body, "event_id") or ts)

    @bolt.action(ANY)
    async def on_action(ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        if not isinstance(action, dict):
            raise BadRequest("the action must be an object")
        pressed = Action(platform="slack", channel=text_field(object_field(body, "channel"), "id"),
                         user=text_field(object_field(body, "user"), "username"),
                         user_id=text_field(object_field(body, "user"), "id"),
                         action=text_field(action, "action_id"), value=text_field(action, "value"),
                         post_id=text_field(object_field(body, "message"), "ts") or None)
        await ack()
        if pressed.action == FEEDBACK_WRONG and (trigger_id := text_field(body, "trigger_id")):
            await _open_reason_modal(client, trigger_id, pressed)  # first: the trigger lives 3 s
        accepted = await accept_action(app, pressed)  # the vote counts now, whether or not a reason follows
        if accepted.error:
            log.info("slack button %s: %s", pressed.action, accepted.error)

    @bolt.view(feedback_reason.CALLBACK_ID)
    async def on_reason(ack: AsyncAck, body: dict[str, Any]) -> None:
        submitted = validated(ViewSubmission, body, "view_submission")
        state = feedback_reason.ReasonState.loads(submitted.view.private_metadata)
        await ack()  # an empty answer closes the modal
        reason = feedback_reason.reason_action("slack", state, user=submitted.user.username or submitted.user.name,
                                               user_id=submitted.user.id, text=submitted.reason())
        if reason.text:
            accepted = await accept_action(app, reason)
            if accepted.error:
                log.info("slack wrong-cause reason: %s", accepted.error)

    @bolt.error
    async def on_error(error: Exception) -> BoltResponse:
        """A signed request whose payload is not what Slack sends is the sender's mistake: 400 with the
        reason, logged without a traceback; anything else is ours and stays a 500 with one."""
        if isinstance(error, BadRequest):
            return _bolt_error(error.status, error.message)
        if isinstance(error, CLIENT_FAULTS):
            log.warning("slack request refused: %s: %s", type(error).__name__, redact(str(error)[:200]))
            return _bolt_error(400, f"malformed Slack payload ({type(error).__name__})")
        log.error("slack listener failed", exc_info=error)
        return _bolt_error(500, "internal error")

    return bolt


async def _open_reason_modal(client: AsyncWebClient, trigger_id: str, pressed: Action) -> None:
    """The "wrong cause" modal; when Slack refuses it (an expired trigger, say) the vote still counts."""
    state = feedback_reason.ReasonState.of(pressed)
    if state is None:
        return
    view = text_input_modal(feedback_reason.CALLBACK_ID, feedback_reason.TITLE, feedback_reason.LABEL, state.dumps(),
                            field=feedback_reason.FIELD, max_length=REASON_MAX, note=feedback_reason.NOTE)
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
        log.warning("slack views.open for a wrong-cause reason failed: %s", redact(str(exc)[:200]))


class _SlackUser(BaseModel):
    id: str = Field(min_length=1)
    username: str = ""
    name: str = ""


class _InputValue(BaseModel):
    value: str | None = None


class _ViewState(BaseModel):
    values: dict[str, dict[str, _InputValue]] = Field(default_factory=dict)


class _View(BaseModel):
    private_metadata: str = ""
    state: _ViewState = Field(default_factory=_ViewState)


class ViewSubmission(BaseModel):
    """The parts of a `view_submission` payload the reason needs
    (https://api.slack.com/reference/interaction-payloads/views#view_submission)."""

    type: Literal["view_submission"]
    user: _SlackUser
    view: _View

    def reason(self) -> str:
        field = feedback_reason.FIELD
        return self.view.state.values.get(field, {}).get(field, _InputValue()).value or ""


def _bolt_error(status: int, message: str) -> BoltResponse:
    return BoltResponse(status=status, body=json.dumps({"error": message}),
                        headers={"content-type": "application/json"})


def _slack_payload(text: str, content_type: str) -> dict[str, Any]:
    """The payload as slack-bolt will parse it (`slack_bolt.request.internals.parse_body`, same
    branches), but with our JSON checks: nesting, integer size, Unicode, an object where one is due."""
    if not text:
        return {}
    if content_type == "application/json" or text.startswith("{"):
        return json_object(text)
    fields = form_fields(text.encode("utf-8"))
    if "payload" in text:
        payload = fields.get("payload")
        return json_object(payload, "payload") if payload is not None else {}
    return fields


async def slack_events(request: web.Request) -> web.Response:
    """Check what slack-bolt would trip over before it sees the request: the signature headers
    (a timestamp that is not an integer, a non-ASCII signature: 401), the signature itself (401), a
    body that is not UTF-8 or a payload that is not well-formed (400). Then bolt dispatches."""
    text = decode_utf8(await body_bytes(request))
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not _ssl_check(text):  # bolt answers Slack's SSL check unsigned; everything else must be signed
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12) or not signature.isascii():
            return _json_error(401, "missing or malformed Slack signature headers")
        if not request.app[VERIFIER].is_valid(body=text, timestamp=timestamp, signature=signature):
            return _json_error(401, "invalid Slack signature")
    content_type = request.headers.get("Content-Type", "").split(";")[0].strip()
    _slack_payload(text, content_type)  # raises BadRequest: the guard middleware answers 400
    try:
        bolt_request = AsyncBoltRequest(body=text, query=request.query_string,
                                        headers=request.headers)  # type: ignore[arg-type]
    except CLIENT_FAULTS as exc:  # bolt's context extraction assumes Slack's shapes (team, user, channel)
        log.warning("slack request refused: %s: %s", type(exc).__name__, redact(str(exc)[:200]))
        return _json_error(400, f"malformed Slack payload ({type(exc).__name__})")
    bolt_response = await request.app[BOLT].async_dispatch(bolt_request)
    return await to_aiohttp_response(bolt_response)


def _ssl_check(text: str) -> bool:
    return "ssl_check" in text and not text.startswith("{") and dict(parse_qsl(text)).get("ssl_check") == "1"


def _json_error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def add_slack_routes(app: web.Application, *, signing_secret: str, bot_token: str, api_url: str,
                     app_token: str | None = None) -> None:
    app[BOLT] = build_bolt_app(app, signing_secret=signing_secret, bot_token=bot_token, api_url=api_url)
    app[VERIFIER] = SignatureVerifier(signing_secret)
    app.router.add_post("/slack/events", slack_events)
    if app_token:
        app.on_startup.append(_socket_mode(app_token))


def _socket_mode(app_token: str) -> Any:
    async def start(app: web.Application) -> None:
        from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(app[BOLT], app_token)
        await handler.connect_async()

        async def stop(_: web.Application) -> None:
            await handler.close_async()

        app.on_cleanup.append(stop)

    return start
