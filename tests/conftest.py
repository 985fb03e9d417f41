"""Shared fixtures (a real Redis server, sample payloads, the fake LLM, an environment without OPSBOT_*
settings or config file, a data dir for the knowledge index) and the markers by folder:
everything under tests/integration/ is `integration`, everything under tests/e2e/ is `e2e`, so
`pytest -m "not integration and not e2e"` runs the fast part (unit + contract)."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib

from tests.support.fakes.openai_api import FakeOpenAI
from tests.support.servers import redis_server

DATA = Path(__file__).parent / "data"
TESTS = Path(__file__).resolve().parent
MARKERS_BY_FOLDER = {"integration": pytest.mark.integration, "e2e": pytest.mark.e2e}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        try:
            folder = item.path.resolve().relative_to(TESTS).parts[0]
        except ValueError:  # collected from outside tests/
            continue
        if folder in MARKERS_BY_FOLDER:
            item.add_marker(MARKERS_BY_FOLDER[folder])


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


@pytest.fixture
def without_opsbot_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No OPSBOT_* variable from the environment the tests run in."""
    for name in list(os.environ):
        if name.startswith("OPSBOT_"):
            monkeypatch.delenv(name)


@pytest.fixture
def without_opsbot_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """No OPSBOT_CONFIG: no configuration file is read."""
    monkeypatch.delenv("OPSBOT_CONFIG", raising=False)


@pytest.fixture
def knowledge_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """OPSBOT_DATA_DIR in tmp_path (where the knowledge index lives) and no config file; the knowledge
    stores opened meanwhile are closed after."""
    from knowledge import service  # here, not at the top: only these tests need the knowledge package

    monkeypatch.setenv("OPSBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("OPSBOT_CONFIG", raising=False)
    yield tmp_path / "data"
    service.close_all()
