"""Slack and Mattermost ingress in the real web app on a real Redis: signatures and tokens are
enforced, /oncall help answers inline, other commands are queued exactly once."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis as redis_lib
from aiohttp.test_utils import TestClient, TestServer

from bot.config import load_settings
from bot.web import create_app
from integrations.mattermost import sign_action
from tests.support.chat_requests import (
    MATTERMOST_COMMAND_TOKEN,
    MATTERMOST_OUTGOING_TOKEN,
    SLACK_SIGNING_SECRET,
    mattermost_command,
    mattermost_headers,
    mattermost_outgoing,
    slack_command,
    slack_headers,
    slack_mention_event,
)
from tests.support.fakes.slack_api import BOT_TOKEN, FakeSlack

ACTION_SECRET = "action-signing-secret"


@pytest.fixture
async def client(clean_redis: redis_lib.Redis, redis_url: str, fake_slack: FakeSlack) -> AsyncIterator[TestClient]:
    settings = load_settings(
        redis_url=redis_url,
        slack={"bot_token": BOT_TOKEN, "signing_secret": SLACK_SIGNING_SECRET, "api_url": fake_slack.api_url},
        mattermost={"command_tokens": [MATTERMOST_COMMAND_TOKEN], "action_secret": ACTION_SECRET,
                    "outgoing_tokens": [MATTERMOST_OUTGOING_TOKEN]},
    )
    async with TestClient(TestServer(create_app(settings))) as test_client:
        yield test_client


def _queued_commands(client: redis_lib.Redis) -> list[dict[str, Any]]:
    messages = [json.loads(raw) for raw in client.lrange("collect", 0, -1)]
    return [m for m in messages if m["headers"]["task"] == "bot.tasks.run_command"]


async def test_slack_bad_signature_is_401_and_queues_nothing(client: TestClient, clean_redis: redis_lib.Redis) -> None:
    body = slack_command("/ceph", "prod")
    for headers in (slack_headers(body, secret="not-the-secret"), slack_headers(body, timestamp=int(time.time()) - 600),
                    {"Content-Type": "application/x-www-form-urlencoded"}):
        resp = await client.post("/slack/events", data=body, headers=headers)
        assert resp.status == 401
    assert _queued_commands(clean_redis) == []


async def test_slack_oncall_help_answers_inline_with_blocks(client: TestClient, clean_redis: redis_lib.Redis) -> None:
    body = slack_command("/oncall", "help")
    resp = await client.post("/slack/events", data=body, headers=slack_headers(body))
    assert resp.status == 200
    answer = await resp.json()
    assert answer["response_type"] == "ephemeral"
    texts = json.dumps(answer["blocks"])
    assert "/ceph" in texts and "/redis" in texts and "/oncall help" in texts
    assert _queued_commands(clean_redis) == []


async def test_slack_command_is_acknowledged_and_queued_once(client: TestClient, clean_redis: redis_lib.Redis) -> None:
    body = slack_command("/oncall", "ceph HEALTH_OK")
    for _ in range(2):  # Slack retries a request it thinks timed out: same trigger_id, one task
        resp = await client.post("/slack/events", data=body, headers=slack_headers(body))
        assert resp.status == 200
        assert "working on it" in (await resp.json())["text"]
    queued = _queued_commands(clean_redis)
    assert len(queued) == 1
    (command_key, command, _), _kwargs, _embed = json.loads(base64.b64decode(queued[0]["body"]))
    assert command_key.startswith("command:slack:")
    assert (command["name"], command["text"], command["channel"]) == ("ceph", "HEALTH_OK", "C0ONCALL1")


async def test_mattermost_wrong_or_missing_token_is_401(client: TestClient, clean_redis: redis_lib.Redis) -> None:
    body = mattermost_command("/oncall", "help", "chan1", token="wrong")
    resp = await client.post("/mattermost/command", data=body, headers=mattermost_headers("wrong"))
    assert resp.status == 401
    body = mattermost_command("/ceph", "prod", "chan1", token="")
    resp = await client.post("/mattermost/command", data=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status == 401
    assert _queued_commands(clean_redis) == []


async def test_mattermost_oncall_help_answers_with_attachments(client: TestClient) -> None:
    body = mattermost_command("/oncall", "help", "chan1")
    resp = await client.post("/mattermost/command", data=body, headers=mattermost_headers())
    assert resp.status == 200
    assert resp.content_type == "application/json"
    answer = await resp.json()
    assert answer["response_type"] == "ephemeral"
    attachment = answer["attachments"][0]
    assert attachment["title"].endswith("opsbot: what I can do")
    assert {f["title"] for f in attachment["fields"]} >= {"/oncall help", "/ceph [CLUSTER | pasted output]"}


async def test_mattermost_unknown_command_gets_help(client: TestClient) -> None:
    body = mattermost_command("/oncall", "reboot everything", "chan1")
    resp = await client.post("/mattermost/command", data=body, headers=mattermost_headers())
    answer = await resp.json()
    assert "I don't know `/oncall reboot everything`" in answer["attachments"][0]["text"]


async def test_mattermost_command_is_queued(client: TestClient, clean_redis: redis_lib.Redis) -> None:
    body = mattermost_command("/redis", "cache-1", "chan1")
    resp = await client.post("/mattermost/command", data=body, headers=mattermost_headers())
    assert resp.status == 200
    assert "working on it" in (await resp.json())["text"]
    assert len(_queued_commands(clean_redis)) == 1


async def test_mattermost_action_signature_is_checked(client: TestClient) -> None:
    def callback(signature: str) -> dict[str, Any]:
        return {"user_id": "u1", "user_name": "alice", "channel_id": "c1", "channel_name": "oncall", "team_id": "t1",
                "team_domain": "ops", "post_id": "p1", "trigger_id": "tr1", "type": "", "data_source": "",
                "context": {"action": "refresh", "value": "incident-1", "signature": signature}}

    forged = await client.post("/mattermost/action", json=callback("0" * 64))
    assert forged.status == 401
    signature = sign_action(ACTION_SECRET, "refresh", "incident-1")
    genuine = await client.post("/mattermost/action", json=callback(signature))
    assert genuine.status == 200
    assert "ephemeral_text" in await genuine.json()
    broken = await client.post("/mattermost/action", data="not json", headers={"Content-Type": "application/json"})
    assert broken.status == 400


def _queued_payloads(client: redis_lib.Redis) -> list[dict[str, Any]]:
    return [json.loads(base64.b64decode(m["body"]))[0][1] for m in _queued_commands(client)]


async def test_slack_mention_is_routed_and_queued_once(client: TestClient, clean_redis: redis_lib.Redis) -> None:
    body = slack_mention_event("<@U0BOT001> how do I restart an OSD safely?", event_id="Ev0MENTION1")
    headers = slack_headers(body, content_type="application/json")
    for _ in range(2):  # Slack re-sends an event it thinks was lost: same event_id, one task
        resp = await client.post("/slack/events", data=body, headers=headers)
        assert resp.status == 200
    (command,) = _queued_payloads(clean_redis)
    assert (command["name"], command["text"], command["channel"]) == ("ask", "how do I restart an OSD safely?",
                                                                      "C0ONCALL1")
    forged = await client.post("/slack/events", data=body, headers=slack_headers(body, secret="x",
                                                                                content_type="application/json"))
    assert forged.status == 401


async def test_slack_url_verification_challenge_is_answered(client: TestClient) -> None:
    body = json.dumps({"token": "t", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                       "type": "url_verification"})
    resp = await client.post("/slack/events", data=body, headers=slack_headers(body, content_type="application/json"))
    assert resp.status == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in await resp.text()


async def test_mattermost_mention_webhook(client: TestClient, clean_redis: redis_lib.Redis) -> None:
    paste = "HEALTH_WARN 1 osds down\n[WRN] OSD_DOWN: 1 osds down\n    osd.2 is down"
    wrong = await client.post("/mattermost/mention", data=mattermost_outgoing(paste, "chan1", "wrong"),
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert wrong.status == 401
    resp = await client.post("/mattermost/mention", data=mattermost_outgoing(paste, "chan1", MATTERMOST_OUTGOING_TOKEN),
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status == 200 and await resp.json() == {}
    (command,) = _queued_payloads(clean_redis)
    assert command["name"] == "ceph" and command["text"].startswith("HEALTH_WARN")
