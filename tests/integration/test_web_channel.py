"""The web channel in the real web app on a real Redis: the board page and its security headers, CSRF
on every POST, the loopback Host check, login off loopback (token and basic), the store a worker
posts through, and the live stream that carries a change to the page."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
import redis as redis_lib
from aiohttp.test_utils import TestClient, TestServer

from bot.config import load_settings
from bot.web import create_app
from bot.web_channel.auth import CSRF_COOKIE, CSRF_HEADER
from core.cards import Card, CardKind, CardStatus
from integrations.webchat.store import WebChannel


async def _client(redis_url: str, **web: Any) -> TestClient:
    settings = load_settings(redis_url=redis_url, webchat={"enabled": True, **web.pop("webchat", {})},
                             web=web, knowledge={"enabled": False})
    return TestClient(TestServer(create_app(settings)))


@pytest.fixture
async def board(clean_redis: redis_lib.Redis, redis_url: str) -> AsyncIterator[TestClient]:
    async with await _client(redis_url) as client:
        yield client


async def _csrf(client: TestClient) -> str:
    page = await client.get("/web")
    assert page.status == 200
    return page.cookies[CSRF_COOKIE].value


async def test_board_page_has_a_strict_csp_and_no_inline_script(board: TestClient) -> None:
    page = await board.get("/web")
    html = await page.text()
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert html.count("<script") == 1 and '<script src="/web/static/board.js" defer></script>' in html
    assert (await board.get("/web/static/board.js")).status == 200
    assert (await board.get("/web/static/..%2Fauth.py")).status == 404


async def test_every_post_needs_the_csrf_token(board: TestClient, clean_redis: redis_lib.Redis) -> None:
    token = await _csrf(board)
    body = json.dumps({"text": "/ceph prod"})
    for path in ("/web/command", "/web/action", "/web/reply"):
        refused = await board.post(path, data=body, headers={"Content-Type": "application/json"})
        assert refused.status == 403, path
        wrong = await board.post(path, data=body, headers={"Content-Type": "application/json", CSRF_HEADER: "x" * 43})
        assert wrong.status == 403, path
    form = await board.post("/web/command", data={"text": "/ceph prod"}, headers={CSRF_HEADER: token})
    assert form.status == 403  # a cross-site form cannot send JSON
    foreign = await board.post("/web/command", data=body, headers={"Content-Type": "application/json",
                                                                   CSRF_HEADER: token, "Origin": "https://evil.example"})
    assert foreign.status == 403
    accepted = await board.post("/web/command", data=body, headers={"Content-Type": "application/json",
                                                                    CSRF_HEADER: token})
    assert accepted.status == 200 and (await accepted.json())["queued"] is True
    queued = [json.loads(raw) for raw in cast("list[bytes]", clean_redis.lrange("collect", 0, -1))]
    assert [m["headers"]["task"] for m in queued] == ["bot.tasks.run_command"]


async def test_help_from_the_command_box_is_answered_at_once(board: TestClient) -> None:
    token = await _csrf(board)
    answer = await board.post("/web/command", data=json.dumps({"text": "/oncall help"}),
                              headers={"Content-Type": "application/json", CSRF_HEADER: token})
    assert answer.status == 200 and 'data-kind="help"' in (await answer.json())["html"]


async def test_loopback_board_refuses_a_foreign_host_header(board: TestClient) -> None:
    assert (await board.get("/web", headers={"Host": "evil.example"})).status == 403


async def test_off_loopback_a_token_login_is_required(clean_redis: redis_lib.Redis, redis_url: str) -> None:
    async with await _client(redis_url, host="0.0.0.0", webchat={"token": "board-token"}) as client:
        assert (await client.get("/web")).status == 401
        assert (await client.get("/web/events")).status == 401
        assert (await client.get("/web/login", params={"token": "wrong"})).status == 401
        login = await client.get("/web/login", params={"token": "board-token"}, allow_redirects=False)
        assert login.status == 303
        assert (await client.get("/web")).status == 200  # the session cookie
        client.session.cookie_jar.clear()
        assert (await client.get("/web", headers={"Authorization": "Bearer board-token"})).status == 200


async def test_off_loopback_basic_auth_and_no_login_configured(clean_redis: redis_lib.Redis, redis_url: str) -> None:
    async with await _client(redis_url, host="0.0.0.0",
                             webchat={"basic_user": "ops", "basic_password": "pw"}) as client:
        denied = await client.get("/web")
        assert denied.status == 401 and denied.headers["WWW-Authenticate"].startswith("Basic")
        basic = base64.b64encode(b"ops:pw").decode()
        assert (await client.get("/web", headers={"Authorization": f"Basic {basic}"})).status == 200
    async with await _client(redis_url, host="0.0.0.0") as client:
        assert (await client.get("/web")).status == 403


async def test_a_worker_post_reaches_the_open_page_through_the_stream(board: TestClient, redis_url: str) -> None:
    channel = WebChannel(redis_lib.Redis.from_url(redis_url))
    page = await board.get("/web")
    since = (await page.text()).split('name="stream-since" content="')[1].split('"')[0]
    events = await board.get("/web/events", params={"since": since})
    card = Card(kind=CardKind.triage, status=CardStatus.firing, title="StreamProbe <b>")
    ref = await asyncio.to_thread(channel.post, "oncall", card)
    await asyncio.to_thread(channel.update, ref, card.model_copy(update={"status": CardStatus.resolved}))
    await asyncio.to_thread(channel.reply, ref, "Resolved after 3m")
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(10):
        while not any("Resolved after 3m" in e["html"] for e in seen):
            line = (await events.content.readline()).decode()
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))
    assert {e["id"] for e in seen} == {ref.post_id}
    assert "StreamProbe &lt;b&gt;" in seen[-1]["html"] and 'data-status="resolved"' in seen[-1]["html"]
    assert channel.thread_root("oncall", ref.post_id) == ref.post_id
    events.close()


MALFORMED = [b"\xff\xfe", b"[]", b"not json", b'{"text": 5.5, "messages": 5}', b'{"text": null, "messages": null}',
             b'{"text": {"a": 1}, "messages": [{"role": "user", "content": 7}]}', b"[" * 100 + b"]" * 100,
             b'{"text": "\\ud800"}']
ODD = [b'{"post_id": ["x"], "text": "hi", "action": "draft_postmortem"}', b'{"model": "opsbot", "messages": "hi"}']


async def test_malformed_bodies_are_4xx_never_5xx(clean_redis: redis_lib.Redis, redis_url: str) -> None:
    settings = load_settings(redis_url=redis_url, webchat={"enabled": True}, openai_api={"api_keys": ["k"]},
                             knowledge={"enabled": False})
    async with TestClient(TestServer(create_app(settings))) as client:
        token = await _csrf(client)
        headers = {"Content-Type": "application/json", CSRF_HEADER: token, "Authorization": "Bearer k"}
        for path in ("/web/command", "/web/action", "/web/reply", "/v1/chat/completions"):
            for body in MALFORMED + ODD:
                answer = await client.post(path, data=body, headers=headers)
                assert answer.status < 500, (path, body, answer.status)
                assert body in ODD or 400 <= answer.status < 500, (path, body, answer.status, await answer.text())
