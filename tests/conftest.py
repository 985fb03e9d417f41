"""Shared fixtures: real Redis/Valkey servers, sample payloads."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib

from tests.fakes.openai_api import FakeOpenAI
from tests.servers import redis_server

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real Debian redis-server for the session; tests use distinct keys or flush."""
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


@pytest.fixture
def clean_redis(redis_url: str) -> Iterator[redis_lib.Redis]:
    client = redis_lib.Redis.from_url(redis_url)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def firing_payload() -> dict[str, Any]:
    return copy.deepcopy(json.loads((DATA / "webhook-firing.json").read_text()))


@pytest.fixture
def fake_llm() -> Iterator[FakeOpenAI]:
    """A fake OpenAI-compatible server (vLLM flavour) that records requests; `.llm_client()` talks to it."""
    with FakeOpenAI(owned_by="vllm").run_in_thread() as server:
        yield server
