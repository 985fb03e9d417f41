"""Every JSON schema the project sends (tests/support/llm_schemas.py) against the real llama.cpp server
(llama-cpp-python[server], the `llm` extra, with SmolLM2-135M), in the form the client sends it: the
grammar engine accepts each one (HTTP 200, the server still answers after it). Then a schema it
cannot take (a maxLength in the hundreds: the server crashes building the grammar) degrades to JSON
mode instead of taking the bot down. Nothing here asserts on what the small model says."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from pydantic import BaseModel

from integrations.llm.client import LLMClient, LLMUnavailable, Message
from integrations.llm.config import EmbeddedLLMSettings, LLMSettings
from integrations.llm.flavours import request_shape
from integrations.llm.structured import structured_call
from tests.support.llm_schemas import SentSchema, sent_schemas

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (the llm extra)")

from bot.embedded_llm import EmbeddedLLM

MESSAGES = [{"role": "system", "content": "Reply with one JSON object that fits the schema."},
            {"role": "user", "content": "Go."}]
MAX_TOKENS = 64


class Answer(BaseModel):
    answer: str


@pytest.fixture(scope="module")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedLLM]:
    """One llama.cpp server for this module, started as `opsbot up` starts the embedded one."""
    server = EmbeddedLLM(EmbeddedLLMSettings(), tmp_path_factory.mktemp("llm"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _alive(server: EmbeddedLLM) -> bool:
    assert server.process is not None
    if server.process.poll() is not None:
        return False
    return httpx.get(f"{server.url}/models", timeout=5).status_code == 200


@pytest.mark.parametrize("sent", sent_schemas(), ids=lambda s: s.name)
def test_the_grammar_engine_accepts_the_schema(llama: EmbeddedLLM, sent: SentSchema) -> None:
    shape = request_shape("llamacpp", schema=sent.schema, max_tokens=MAX_TOKENS, name=sent.name)
    try:
        resp = httpx.post(f"{llama.url}/chat/completions", timeout=60,
                          json={"model": "smollm2", "messages": MESSAGES, **shape.extra_body})
    except httpx.TransportError as exc:
        pytest.fail(f"{sent.name} ({sent.where}): the server dropped the request ({exc!r}); "
                    f"see {llama.log_path}")
    assert resp.status_code == 200, f"{sent.name} ({sent.where}): HTTP {resp.status_code}: {resp.text[:300]}"
    assert _alive(llama), f"{sent.name} ({sent.where}) took the server down; see {llama.log_path}"
    choice = resp.json()["choices"][0]
    if choice["finish_reason"] == "stop":  # a finished answer is grammar-bound JSON
        assert isinstance(json.loads(choice["message"]["content"]), dict)


def test_a_schema_that_crashes_the_server_degrades_to_json_mode(llama: EmbeddedLLM) -> None:
    # Last in the module: it takes the server down and restarts it (same port).
    crashing = {"type": "object", "properties": {"answer": {"type": "string", "minLength": 2, "maxLength": 1200}},
                "required": ["answer"]}  # the /ask schema of issue 13
    client = LLMClient(LLMSettings.model_validate({"url": llama.url, "max_tokens": 24}))

    result = structured_call(client, [Message(**m) for m in MESSAGES], Answer, task="qa", schema=crashing,
                             schema_name="crashing_answer")
    # The grammar killed the server; the same call in JSON mode found it gone: an honest "unavailable".
    assert result.answer is None and result.unavailable and "cannot connect" in result.error
    assert client.schema_rejected("crashing_answer") is not None

    llama.start()  # what the supervisor does; the port stays the same
    call = client.chat([Message(**m) for m in MESSAGES], task="qa", schema=crashing, schema_name="crashing_answer")
    assert call.completion_tokens > 0  # JSON mode: answered, and the server survived it
    assert _alive(llama)
    with pytest.raises(LLMUnavailable):  # without the memory the schema still kills it: nothing else changed
        LLMClient(LLMSettings.model_validate({"url": llama.url, "connect_retries": 0})).chat(
            [Message(**m) for m in MESSAGES], task="qa", schema=crashing, schema_name="crashing_answer",
            max_tokens=8)
    llama.start()
    assert _alive(llama)

