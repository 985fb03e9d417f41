"""The Alertmanager receiver on a real Redis: auth, limits, validation, dedupe, health, metrics."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis as redis_lib
from aiohttp.test_utils import TestClient, TestServer

from bot.web import create_app
from tests.support.webhook_receiver import BEARER, TOKEN, receiver_settings


@pytest.fixture
async def client(clean_redis: redis_lib.Redis, redis_url: str) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(receiver_settings(redis_url)))) as test_client:
        yield test_client


def _queued(client: redis_lib.Redis) -> int:
    return int(client.llen("alerts"))


async def test_accepts_valid_notification(client: TestClient, clean_redis: redis_lib.Redis,
                                          firing_payload: dict[str, Any]) -> None:
    resp = await client.post("/webhook/alertmanager", json=firing_payload, headers=BEARER)
    assert resp.status == 200
    body = await resp.json()
    assert body["status"] == "accepted" and len(body["incident"]) == 24
    assert _queued(clean_redis) == 1
    message = json.loads(clean_redis.lindex("alerts", 0) or b"{}")
    assert message["headers"]["task"] == "bot.tasks.process_alert_group"


async def test_basic_auth_is_accepted(client: TestClient, clean_redis: redis_lib.Redis,
                                      firing_payload: dict[str, Any]) -> None:
    creds = base64.b64encode(b"am:pw").decode()
    resp = await client.post("/webhook/alertmanager", json=firing_payload, headers={"Authorization": f"Basic {creds}"})
    assert resp.status == 200


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer wrong"},
    {"Authorization": f"Bearer {TOKEN}x"},
    {"Authorization": "Basic " + base64.b64encode(b"am:wrong").decode()},
    {"Authorization": "Basic not-base64!"},
    {"Authorization": TOKEN},
])
async def test_bad_auth_is_401_and_enqueues_nothing(client: TestClient, clean_redis: redis_lib.Redis,
                                                    firing_payload: dict[str, Any], headers: dict[str, str]) -> None:
    resp = await client.post("/webhook/alertmanager", json=firing_payload, headers=headers)
    assert resp.status == 401
    assert "WWW-Authenticate" in resp.headers
    assert _queued(clean_redis) == 0


async def test_oversized_body_is_413(client: TestClient, clean_redis: redis_lib.Redis,
                                     firing_payload: dict[str, Any]) -> None:
    firing_payload["commonAnnotations"]["description"] = "x" * 5000
    resp = await client.post("/webhook/alertmanager", json=firing_payload, headers=BEARER)
    assert resp.status == 413
    # Also when the client streams without a Content-Length.
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 1000
    resp = await client.post("/webhook/alertmanager", data=chunks(), headers=BEARER)
    assert resp.status == 413
    assert _queued(clean_redis) == 0


@pytest.mark.parametrize(("body", "expected"), [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "must be a JSON object"),
    (json.dumps({"version": "3"}).encode(), "version"),
])
async def test_broken_payload_is_400_with_reason(client: TestClient, clean_redis: redis_lib.Redis,
                                                 body: bytes, expected: str) -> None:
    resp = await client.post("/webhook/alertmanager", data=body, headers=BEARER)
    assert resp.status == 400
    assert expected in (await resp.json())["error"]
    assert _queued(clean_redis) == 0


async def test_wrong_schema_names_the_field(client: TestClient, clean_redis: redis_lib.Redis,
                                            firing_payload: dict[str, Any]) -> None:
    del firing_payload["alerts"][0]["fingerprint"]
    firing_payload["status"] = "burning"
    resp = await client.post("/webhook/alertmanager", json=firing_payload, headers=BEARER)
    assert resp.status == 400
    error = (await resp.json())["error"]
    assert "alerts.0.fingerprint" in error and "status" in error
    assert _queued(clean_redis) == 0


async def test_unknown_route_is_404(client: TestClient, clean_redis: redis_lib.Redis) -> None:
    resp = await client.post("/webhook/other", data=b"{}", headers=BEARER)
    assert resp.status == 404
    assert _queued(clean_redis) == 0


async def test_same_notification_concurrently_and_later_enqueues_once(
        client: TestClient, clean_redis: redis_lib.Redis, firing_payload: dict[str, Any]) -> None:
    results = await asyncio.gather(*[
        client.post("/webhook/alertmanager", json=firing_payload, headers=BEARER) for _ in range(20)
    ])
    statuses = sorted([(await r.json())["status"] for r in results])
    assert statuses.count("accepted") == 1 and statuses.count("duplicate") == 19
    resp = await client.post("/webhook/alertmanager", json=firing_payload, headers=BEARER)
    assert (await resp.json())["status"] == "duplicate"
    assert _queued(clean_redis) == 1
    # A changed notification (the alert resolved) is new work.
    firing_payload["status"] = "resolved"
    firing_payload["alerts"][0]["status"] = "resolved"
    firing_payload["alerts"][0]["endsAt"] = "2026-11-22T14:00:00Z"
    resp = await client.post("/webhook/alertmanager", json=firing_payload, headers=BEARER)
    assert (await resp.json())["status"] == "accepted"
    assert _queued(clean_redis) == 2


async def test_health_ready_and_metrics(client: TestClient, firing_payload: dict[str, Any]) -> None:
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert ready.status == 200 and (await ready.json())["broker"] == "ok"
    await client.post("/webhook/alertmanager", json=firing_payload, headers=BEARER)
    await client.post("/webhook/alertmanager", json=firing_payload)
    text = await (await client.get("/metrics")).text()
    assert 'opsbot_webhook_requests_total{outcome="accepted"} 1.0' in text
    assert 'opsbot_webhook_requests_total{outcome="unauthorized"} 1.0' in text
    assert "opsbot_enqueue_seconds_bucket" in text
