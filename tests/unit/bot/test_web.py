"""The Alertmanager receiver with its broker down: /readyz and the webhook answer 503 (no Redis)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.web import create_app
from tests.support.webhook_receiver import BEARER, receiver_settings


async def test_readyz_is_503_when_broker_is_down() -> None:
    from tests.support.servers import free_port

    settings = receiver_settings(f"redis://127.0.0.1:{free_port()}/0")
    async with TestClient(TestServer(create_app(settings))) as test_client:
        resp = await test_client.get("/readyz")
        assert resp.status == 503
        assert "unreachable" in (await resp.json())["broker"]


async def test_broker_down_answers_503_so_alertmanager_retries(firing_payload: dict[str, Any]) -> None:
    from tests.support.servers import free_port

    settings = receiver_settings(f"redis://127.0.0.1:{free_port()}/0")
    async with TestClient(TestServer(create_app(settings))) as test_client:
        resp = await test_client.post("/webhook/alertmanager", json=firing_payload, headers=BEARER)
        assert resp.status == 503
        assert "retry later" in (await resp.json())["error"]
