"""The web channel's routes on the web process: `/web` (board), `/web/events` (SSE), `/web/status`,
`/web/static/*`, and the POSTs `/web/command`, `/web/action`, `/web/reply`.

A command or a button goes the way a chat platform's does (`bot.command_intake`): help is answered at
once, the rest is queued and a worker posts the card to the board, which every open page sees through
the stream. Login and CSRF: `bot.web_channel.auth`. Everything a page shows is rendered here or by
`integrations.webchat.render`, escaped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.app_keys import EXECUTOR, REDIS, SETTINGS
from bot.command_intake import Accepted, accept_action, accept_command, accept_mention, ack_text
from bot.config import Settings
from bot.health import RecentHealth
from bot.request_input import body_bytes, json_object, text_field
from bot.web_channel import auth
from bot.web_channel.board import load_post, render_board
from bot.web_channel.events import BoardFeed, stream
from bot.web_channel.page import SECURITY_HEADERS, board_page, login_page, status_page
from core.events import Action, Command, Mention
from integrations.neutralise import LinkPolicy
from integrations.webchat.render import render_post
from integrations.webchat.store import EVENTS, WebPost, person_entry, thread_key

log = logging.getLogger("opsbot.web_channel")
FEED: web.AppKey[BoardFeed] = web.AppKey("web_board_feed", BoardFeed)
HEALTH: web.AppKey[RecentHealth] = web.AppKey("web_board_health", RecentHealth)  # /readyz's checks
STATIC = Path(__file__).with_name("static")
STATIC_TYPES = {"board.js": "text/javascript", "board.css": "text/css"}
_SLASH = re.compile(r"^/(\S+)[ \t]*\n?(.*)$", re.DOTALL)
MAX_CHANNEL_CHARS = 80


def _links(settings: Settings) -> LinkPolicy:
    return LinkPolicy.of(settings.link_hosts)


def _user(request: web.Request, settings: Settings) -> str:
    return settings.webchat.basic_user if "basic" in request.headers.get("Authorization", "").lower() and \
        settings.webchat.basic_user else "web"


def _refused(request: web.Request, settings: Settings) -> web.Response | None:
    """The answer to a request that is not logged in (None: it is)."""
    if auth.logged_in(request, settings):
        return None
    if auth.login_required(settings) and not settings.webchat.login_configured:
        return web.Response(status=403, text="the web channel listens on a non-loopback address and needs a login: "
                                             "set webchat.token or webchat.basic_user and webchat.basic_password")
    if not auth.login_required(settings):
        return web.Response(status=403, text="use a loopback host name (127.0.0.1 or localhost)")
    headers = dict(SECURITY_HEADERS)
    if settings.webchat.basic_user:
        headers["WWW-Authenticate"] = 'Basic realm="opsbot", charset="UTF-8"'
    return web.Response(status=401, text=login_page("Log in with the web channel's token."),
                        content_type="text/html", headers=headers)


def _page(request: web.Request, html: str, csrf: str) -> web.Response:
    response = web.Response(text=html, content_type="text/html", headers=SECURITY_HEADERS)
    auth.set_csrf(response, request, csrf)
    return response


async def board(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    if (refused := _refused(request, settings)) is not None:
        return refused
    feed = request.app[FEED]
    since = await feed.latest_id()  # before the snapshot: the stream replays whatever lands after it
    posts = await render_board(request.app[REDIS], settings.webchat.board_cards, _links(settings))
    channels = [settings.routing.default_channel, *(r.channel for r in settings.routing.routes),
                *(p.channel for p, _ in posts)]
    csrf = auth.csrf_token(request)
    cards = [(p.card.kind.value, p.channel, html) for p, html in posts]
    return _page(request, board_page(cards, channels, settings.routing.default_channel, csrf, since), csrf)


async def login(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    if not auth.token_ok(request.query.get("token", ""), settings):
        return web.Response(status=401, text=login_page("Wrong or missing token."), content_type="text/html",
                            headers=SECURITY_HEADERS)
    response = web.HTTPSeeOther("/web")
    auth.set_session(response, request, settings)
    raise response


async def events(request: web.Request) -> web.StreamResponse:
    if (refused := _refused(request, request.app[SETTINGS])) is not None:
        return refused
    return await stream(request, request.app[FEED])


def _gate_rows(settings: Settings) -> list[tuple[str, str, str]]:
    path = settings.data_dir / "llm-gate.json"
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return [("llm gate", "off" if not settings.llm.configured else "unchecked", "no stored competence check")]
    rows = []
    for identity, result in (stored.items() if isinstance(stored, dict) else []):
        if isinstance(result, dict):
            passed = "ok" if result.get("passed") else "failed"
            rows.append(("llm gate", passed, f"{identity}: {result.get('overall', '?')} "
                                             f"(threshold {result.get('threshold', '?')})"))
    return rows


def _worker_rows(settings: Settings) -> list[tuple[str, str, str]]:
    from bot.celery_app import make_celery

    try:
        replies = make_celery(settings).control.ping(timeout=0.5) or []
    except Exception as exc:  # the broker is reported by its own row
        return [("workers", "down", type(exc).__name__)]
    names = sorted(name for reply in replies for name in reply)
    return [("workers", "ok" if names else "down", ", ".join(names) or "no worker answered a ping")]


async def status(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    if (refused := _refused(request, settings)) is not None:
        return refused
    loop = asyncio.get_running_loop()
    health, workers = await asyncio.gather(loop.run_in_executor(request.app[EXECUTOR], request.app[HEALTH].get),
                                           loop.run_in_executor(request.app[EXECUTOR], _worker_rows, settings))
    rows = [(c.name, c.state, c.detail) for c in health.components] + workers + _gate_rows(settings)
    csrf = auth.csrf_token(request)
    return _page(request, status_page(rows, csrf), csrf)


async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in STATIC_TYPES:
        raise web.HTTPNotFound()
    return web.Response(body=(STATIC / name).read_bytes(), content_type=STATIC_TYPES[name],
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"})


async def _posted(request: web.Request) -> tuple[Settings, dict[str, Any]] | web.Response:
    settings = request.app[SETTINGS]
    if not auth.logged_in(request, settings):
        return web.json_response({"error": "not logged in"}, status=401)
    problem = auth.csrf_problem(request)
    if problem:
        log.warning("web channel POST %s refused: %s", request.path, problem)
        return web.json_response({"error": problem}, status=403)
    return settings, json_object(await body_bytes(request))


def _channel(body: dict[str, Any], settings: Settings) -> str:
    channel = text_field(body, "channel", max_chars=MAX_CHANNEL_CHARS).strip().lstrip("#")
    return channel or settings.routing.default_channel


def _answer(accepted: Accepted, settings: Settings, channel: str, shown: str) -> web.Response:
    if accepted.error:
        return web.json_response({"error": accepted.error}, status=503)
    if accepted.card is not None:  # help: shown at once, not kept on the board
        now = time.time()
        post = WebPost(id=f"inline-{uuid.uuid4().hex[:12]}", channel=channel, card=accepted.card, posted_at=now,
                       updated_at=now)
        return web.json_response({"html": render_post(post, [], {}, _links(settings)), "kind": "help"})
    return web.json_response({"queued": True, "message": shown})


def command_of(text: str, channel: str, user: str, thread_id: str | None = None) -> Command | Mention:
    """`/name rest` is that command (as chat would send it); anything else is read like a mention."""
    match = _SLASH.match(text.strip())
    if match:
        return Command(platform="web", channel=channel, user=user, name=match.group(1), text=match.group(2),
                       thread_id=thread_id)
    return Mention(platform="web", channel=channel, user=user, text=text, thread_id=thread_id)


async def _accept(app: web.Application, event: Command | Mention) -> Accepted:
    request_id = uuid.uuid4().hex
    if isinstance(event, Command):
        return await accept_command(app, event, request_id)
    return await accept_mention(app, event, request_id)


async def command(request: web.Request) -> web.Response:
    posted = await _posted(request)
    if isinstance(posted, web.Response):
        return posted
    settings, body = posted
    text = text_field(body, "text", required=True)
    channel = _channel(body, settings)
    event = command_of(text, channel, _user(request, settings))
    name = event.name if isinstance(event, Command) else "ask"
    return _answer(await _accept(request.app, event), settings, channel, ack_text(name, event.text))


async def action(request: web.Request) -> web.Response:
    posted = await _posted(request)
    if isinstance(posted, web.Response):
        return posted
    settings, body = posted
    post_id = text_field(body, "post_id", max_chars=100)
    post = await load_post(request.app[REDIS], post_id) if post_id else None
    pressed = Action(platform="web", channel=post.channel if post else settings.routing.default_channel,
                     user=_user(request, settings), action=text_field(body, "action", required=True, max_chars=100),
                     value=text_field(body, "value", max_chars=500), post_id=post_id or None)
    accepted = await accept_action(request.app, pressed)
    if accepted.error:
        return web.json_response({"error": accepted.error}, status=400)
    return web.json_response({"queued": True, "message": "Working on it; the result goes to the card's thread."})


async def reply(request: web.Request) -> web.Response:
    """A person's message in a card's thread; one that starts with `/` or `@opsbot` asks the bot too."""
    posted = await _posted(request)
    if isinstance(posted, web.Response):
        return posted
    settings, body = posted
    post = await load_post(request.app[REDIS], text_field(body, "post_id", required=True, max_chars=100))
    if post is None:
        return web.json_response({"error": "no such card"}, status=404)
    text = text_field(body, "text", required=True, max_chars=10_000)
    user = _user(request, settings)
    root = post.thread_id or post.id
    client = request.app[REDIS]
    async with client.pipeline() as pipe:
        pipe.rpush(thread_key(root), person_entry(user, text).model_dump_json())
        pipe.xadd(EVENTS, {"post": root}, maxlen=10_000, approximate=True)
        await pipe.execute()
    stripped = text.strip()
    if not (stripped.startswith("/") or stripped.lower().startswith("@opsbot")):
        return web.json_response({"queued": False})
    event = command_of(stripped, post.channel, user, thread_id=root)
    return _answer(await _accept(request.app, event), settings, post.channel, "asked the bot")


async def _close_feed(app: web.Application) -> None:
    await app[FEED].close()


def add_web_routes(app: web.Application, settings: Settings) -> None:
    if auth.login_required(settings) and not settings.webchat.login_configured:
        log.error("web channel on %s without a login: the board refuses every request until webchat.token or "
                  "webchat.basic_user/basic_password is set", settings.web.host)
    app[FEED] = BoardFeed(app[REDIS], _links(settings))
    app[HEALTH] = RecentHealth(settings)
    app.router.add_get("/web", board)
    app.router.add_get("/web/login", login)
    app.router.add_get("/web/events", events)
    app.router.add_get("/web/status", status)
    app.router.add_get("/web/static/{name}", static)
    app.router.add_post("/web/command", command)
    app.router.add_post("/web/action", action)
    app.router.add_post("/web/reply", reply)
    app.on_shutdown.append(_close_feed)
