"""The seeds' gateway for real: a LiteLLM proxy (PyPI `litellm[proxy]`) with opsbot as one of its models
(the official openai client -> LiteLLM -> opsbot's /v1/chat/completions, streamed and not), and LiteLLM
in front of the embedded llama.cpp as opsbot's `llm.url` with flavour `litellm` (opsbot's LLM client
-> LiteLLM -> llama.cpp).

`litellm[proxy]` pins its own openai, pydantic and FastAPI versions, so it lives in a virtualenv of its
own, not opsbot's: `make test` builds `.venv-litellm/` (~45 s, once) and sets `OPSBOT_TEST_LITELLM` to
its `litellm`. Skipped without it (a plain `pytest` run).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib

from tests.support.servers import free_port, http_ok, wait_until
from tests.support.stack import BotStack, bot_stack

LITELLM = os.environ.get("OPSBOT_TEST_LITELLM", "")
pytestmark = pytest.mark.skipif(not (LITELLM and Path(LITELLM).exists()),
                                reason="set OPSBOT_TEST_LITELLM to a litellm binary (its own virtualenv)")
pytest.importorskip("openai")
import openai  # noqa: E402 - after the skip

KEY = "sk-opsbot-litellm"
MASTER = "sk-litellm-master"


@contextlib.contextmanager
def _litellm(workdir: Path, models: list[dict[str, Any]]) -> Iterator[str]:
    port = free_port()
    config = workdir / "litellm.yaml"
    config.write_text(json.dumps({"model_list": models, "general_settings": {"master_key": MASTER}}))
    log = open(workdir / "litellm.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([LITELLM, "--config", str(config), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, cwd=workdir,
                            env={**os.environ, "LITELLM_TELEMETRY": "False", "DISABLE_SCHEMA_UPDATE": "true"})
    try:
        wait_until(lambda: proc.poll() is None and http_ok(f"http://127.0.0.1:{port}/health/liveliness"),
                   timeout=90, what="litellm")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()


@pytest.fixture(scope="module")
def stack(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotStack]:
    redis_lib.Redis.from_url(redis_url).flushall()
    env = {"OPSBOT_OPENAI_API__API_KEYS": json.dumps([KEY]), "OPSBOT_KNOWLEDGE__ENABLED": "false",
           "OPSBOT_CONSOLE__ENABLED": "off"}
    with bot_stack(redis_url, tmp_path_factory.mktemp("litellm-stack"), env) as running:
        yield running


def test_opsbot_as_a_litellm_model(stack: BotStack, tmp_path: Path) -> None:
    models = [{"model_name": "opsbot", "litellm_params": {"model": "openai/opsbot", "api_base": f"{stack.web_url}/v1",
                                                          "api_key": KEY}}]
    with _litellm(tmp_path, models) as base:
        client = openai.OpenAI(base_url=f"{base}/v1", api_key=MASTER, max_retries=0, timeout=60)
        answer = client.chat.completions.create(model="opsbot", messages=[{"role": "user", "content": "/oncall help"}])
        assert "/ceph" in (answer.choices[0].message.content or "")
        stream = client.chat.completions.create(model="opsbot", stream=True,
                                                messages=[{"role": "user", "content": "/oncall help"}])
        assert "/ask" in "".join(c.choices[0].delta.content or "" for c in stream if c.choices)


def test_litellm_in_front_of_llamacpp_as_opsbots_llm(tmp_path: Path) -> None:
    from bot.embedded_llm import EmbeddedLLM
    from integrations.llm.client import LLMClient, Message
    from integrations.llm.config import EmbeddedLLMSettings, LLMSettings

    llama = EmbeddedLLM(EmbeddedLLMSettings(), tmp_path / "llm")
    llama_url = llama.start()
    try:
        models = [{"model_name": "smollm2", "litellm_params": {"model": "openai/smollm2", "api_base": llama_url,
                                                               "api_key": "none"}}]
        with _litellm(tmp_path, models) as base:
            client = LLMClient(LLMSettings.model_validate({"url": f"{base}/v1", "api_key": MASTER,
                                                           "flavour": "litellm"}))
            assert client.server_info().models == ["smollm2"]
            call = client.chat([Message(role="user", content="Say OK.")], task="qa")
            assert call.completion_tokens > 0 and call.text
    finally:
        llama.stop()
