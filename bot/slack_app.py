"""Slack ingress: a slack-bolt AsyncApp served by the web process's aiohttp app at /slack/events.

Bolt checks the signing secret (HMAC of the body and timestamp, 5-minute replay window) on every
request and answers 401 itself. Slash commands are acknowledged within Slack's 3 s: help inline,
anything else with a short note while a worker builds the card. Mentions of the bot (`app_mention`
events) become the command their text asks for (handlers.intents). Socket Mode (no public URL needed)
is an option: the same listeners, fed by a WebSocket instead of HTTP.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.command_intake import accept_action, accept_command, accept_mention, ack_text
from core.events import Action, Command, Mention
from integrations.slack import render_slack

log = logging.getLogger("opsbot.slack")

BOLT: web.AppKey[AsyncApp] = web.AppKey("slack_bolt", AsyncApp)
ANY = re.compile(".*")


def build_bolt_app(app: web.Application, *, signing_secret: str, bot_token: str, api_url: str) -> AsyncApp:
    bolt = AsyncApp(signing_secret=signing_secret, client=AsyncWebClient(token=bot_token, base_url=api_url),
                    process_before_response=True)

    @bolt.command(ANY)
    async def on_command(ack: AsyncAck, command: dict[str, Any]) -> None:
        cmd = Command(platform="slack", channel=command.get("channel_id", ""), user=command.get("user_name", ""),
                      name=command.get("command", ""), text=command.get("text", ""),
                      response_url=command.get("response_url"))
        accepted = await accept_command(app, cmd, command.get("trigger_id") or command.get("response_url", ""))
        if accepted.card is not None:
            text, blocks = render_slack(accepted.card)
            await ack(response_type="ephemeral", text=text, blocks=blocks)
        else:
            await ack(response_type="ephemeral", text=accepted.error or ack_text(cmd.name, cmd.text))

    @bolt.event("app_mention")
    async def on_mention(event: dict[str, Any], body: dict[str, Any]) -> None:
        # Bolt acknowledges events itself; Slack re-sends an event it thinks was lost, and the
        # event_id makes that a duplicate, not a second card.
        mention = Mention(platform="slack", channel=event.get("channel", ""), user=event.get("user", ""),
                          text=event.get("text", ""), thread_id=event.get("thread_ts") or event.get("ts"))
        await accept_mention(app, mention, str(body.get("event_id") or event.get("ts", "")))

    @bolt.action(ANY)
    async def on_action(ack: AsyncAck, action: dict[str, Any], body: dict[str, Any]) -> None:
        await ack()
        pressed = Action(platform="slack", channel=(body.get("channel") or {}).get("id", ""),
                         user=(body.get("user") or {}).get("username", ""), action=action.get("action_id", ""),
                         value=action.get("value", ""), post_id=(body.get("message") or {}).get("ts"))
        accepted = await accept_action(app, pressed)
        if accepted.error:
            log.info("slack button %s: %s", pressed.action, accepted.error)

    return bolt


async def slack_events(request: web.Request) -> web.Response:
    bolt_response = await request.app[BOLT].async_dispatch(await to_bolt_request(request))
    return await to_aiohttp_response(bolt_response)


def add_slack_routes(app: web.Application, *, signing_secret: str, bot_token: str, api_url: str,
                     app_token: str | None = None) -> None:
    app[BOLT] = build_bolt_app(app, signing_secret=signing_secret, bot_token=bot_token, api_url=api_url)
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
