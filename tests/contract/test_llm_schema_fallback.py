"""A server that rejects a schema (an error naming the grammar, schema or response_format, or a
dropped connection: llama.cpp crashes on grammars it cannot build) gets that call once more in plain
JSON mode; the answer is validated as usual, there is never a second retry, and later calls with
that schema go straight to JSON mode. Also: every schema the project sends stays small enough for
grammar engines (the real server takes each one in tests/integration/test_llm_schemas.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

import pytest
import redis as redis_lib

from handlers.llm.ask_answer import ModelAnswer, answer_schema
from integrations.llm.audit import AuditLog
from integrations.llm.client import LLMClient, LLMUnavailable
from integrations.llm.config import LLMSettings
from integrations.llm.structured import MAX_SCHEMA_BOUND, structured_call
from tests.support.fakes.openai_api import FakeOpenAI
from tests.support.llm_requests import MESSAGES
from tests.support.llm_schemas import DOC_IDS, sent_schemas
from tests.support.servers import free_port

SCHEMA = answer_schema(DOC_IDS)
NAME = "answer"
ANSWER = json.dumps({"answer": "Raise maxmemory, then look at the biggest keys.", "citations": ["doc:1"]})
JSON_MODE = {"type": "json_object"}
BOUNDS = ("minLength", "maxLength", "minItems", "maxItems")
# What servers say when they refuse a structured-output request.
REJECTIONS = [
    (400, {"object": "error", "type": "BadRequestError", "code": 400,
           "message": "The provided JSON schema contains features not supported by xgrammar."}),  # vLLM
    (422, {"error": "Input validation error: grammar is not valid", "error_type": "validation"}),  # TGI
    (500, {"error": {"message": "1 validation error: ('body', 'response_format', 'type') Input should be 'text' "
                                "or 'json_object'", "type": "internal_server_error"}}),  # llama-cpp-python
    (400, {"error": {"message": "failed to parse grammar", "type": "invalid_request_error"}}),  # llama-server
]


class RecordingMetrics:
    def __init__(self) -> None:
        self.counted: list[tuple[str, tuple[str, ...]]] = []

    def inc(self, name: str, labels: Sequence[str], amount: float = 1.0) -> None:
        self.counted.append((name, tuple(labels)))

    def observe(self, name: str, labels: Sequence[str], value: float) -> None:
        pass


def _client(fake: FakeOpenAI, redis_client: redis_lib.Redis | None = None, metrics: RecordingMetrics | None = None,
            **settings: Any) -> LLMClient:
    return LLMClient(LLMSettings.model_validate({"url": fake.api_url, **settings}), redis_client, metrics)


def _ask(client: LLMClient) -> Any:
    return structured_call(client, MESSAGES, ModelAnswer, task="qa", schema=SCHEMA, schema_name=NAME)


def _formats(fake: FakeOpenAI) -> list[Any]:
    return [body.get("response_format") for body in fake.chat_requests()]


# --- the schemas ---------------------------------------------------------------------------------

def _walk(node: Any, path: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        found += [(f"{path}.{key}", value) for key, value in node.items()]
        for key, value in node.items():
            found += _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _walk(value, f"{path}[{i}]")
    return found


@pytest.mark.parametrize("sent", sent_schemas(), ids=lambda s: s.name)
def test_every_sent_schema_is_small_for_grammar_engines(sent: Any) -> None:
    """Each length or count bound is expanded into nested grammar rules by llama.cpp (it gave up at
    ~1,000 and crashed); tens are cheap. No patterns (also expanded), no empty enums (no grammar)."""
    for path, value in _walk(sent.schema):
        key = path.rsplit(".", 1)[-1]
        if key in BOUNDS:
            assert isinstance(value, int) and value <= MAX_SCHEMA_BOUND, f"{sent.where}: {path} = {value}"
        assert key != "pattern", f"{sent.where}: {path}"
        if key == "enum":
            assert value, f"{sent.where}: {path} is empty"


def test_prose_longer_than_the_old_bounds_is_cut_not_rejected() -> None:
    answer = ModelAnswer.model_validate({"answer": "word " * 1000, "citations": ["doc:1"]})
    assert len(answer.answer) == 2400 and answer.answer.endswith("…")


# --- the fallback --------------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "body"), REJECTIONS)
def test_a_rejected_schema_degrades_to_json_mode_once_and_is_remembered(fake_llm: FakeOpenAI, status: int,
                                                                       body: Any) -> None:
    fake_llm.reject_schemas = (status, body)
    fake_llm.default_answer = ANSWER
    client = _client(fake_llm, max_tokens=123)
    result = _ask(client)
    assert result.answer is not None and result.answer.citations == ["doc:1"]  # validated as usual
    first, retry = fake_llm.chat_requests()
    assert first["response_format"]["type"] == "json_schema"  # vLLM flavour: the schema went first
    assert retry["response_format"] == JSON_MODE  # then plain JSON mode, the generic flavour's shape
    assert retry["max_tokens"] == 123 and retry["messages"] == first["messages"]
    assert client.schema_rejected(NAME) is not None and str(status) in str(client.schema_rejected(NAME))

    _ask(client)  # the same schema again: straight to JSON mode, one request
    assert _formats(fake_llm)[2:] == [JSON_MODE]
    _ask(_client(fake_llm))  # a client without Redis shares nothing: it learns again
    assert _formats(fake_llm)[3:] == [first["response_format"], JSON_MODE]


def test_a_dropped_connection_on_a_schema_degrades_without_connect_retries(fake_llm: FakeOpenAI) -> None:
    """llama.cpp's server dies building a grammar it cannot parse: the client sees a connection
    closed without an answer. That is the one retry, in JSON mode; the connect retries are not spent
    sending the same schema again."""
    fake_llm.drop_schemas = True
    fake_llm.default_answer = ANSWER
    client = _client(fake_llm, connect_retries=2)
    result = _ask(client)
    assert result.answer is not None and result.calls == 1
    assert _formats(fake_llm) == [{"type": "json_schema", "json_schema": {"name": NAME, "schema": SCHEMA,
                                                                          "strict": True}}, JSON_MODE]
    assert "dropped the connection" in str(client.schema_rejected(NAME))
    _ask(client)
    assert _formats(fake_llm)[2:] == [JSON_MODE]


def test_llamacpp_flavour_falls_back_to_plain_json_object(fake_llm: FakeOpenAI) -> None:
    fake_llm.owned_by = "me"  # llama-cpp-python: {"type": "json_object", "schema": S}
    fake_llm.drop_schemas = True
    fake_llm.default_answer = ANSWER
    assert _ask(_client(fake_llm)).answer is not None
    assert _formats(fake_llm) == [{"type": "json_object", "schema": SCHEMA}, JSON_MODE]
    assert all(body["max_tokens"] == 400 for body in fake_llm.chat_requests())


def test_json_mode_rejected_too_is_unavailable_after_one_retry(fake_llm: FakeOpenAI) -> None:
    fake_llm.fail_next("/chat/completions", 400, {"error": {"message": "grammar engine unavailable"}}, times=10)
    result = _ask(_client(fake_llm, connect_retries=2))
    assert result.answer is None and result.unavailable and "HTTP 400" in result.error
    assert _formats(fake_llm)[1:] == [JSON_MODE]  # the schema, then JSON mode once: never a loop
    assert len(fake_llm.chat_requests()) == 2


def test_a_server_dropping_every_call_is_unavailable_not_a_loop(fake_llm: FakeOpenAI) -> None:
    fake_llm.drop_schemas = True
    fake_llm.fail_next("/chat/completions", 503, "overloaded", times=10, body_contains='"json_object"')
    result = _ask(_client(fake_llm, connect_retries=2))
    assert result.answer is None and result.unavailable
    assert len(fake_llm.chat_requests()) == 2


@pytest.mark.parametrize(("status", "body"), [
    (500, {"error": {"message": "model crashed", "type": "server_error"}}),
    (400, {"error": {"message": "This model's maximum context length is 4096 tokens"}}),
    (503, {"error": {"message": "invalid json_schema: grammar busy"}}),  # not a status that blames the request
])
def test_other_errors_are_not_blamed_on_the_schema(fake_llm: FakeOpenAI, status: int, body: Any) -> None:
    fake_llm.fail_next("/chat/completions", status, body)
    client = _client(fake_llm)
    result = _ask(client)
    assert result.unavailable and f"HTTP {status}" in result.error
    assert len(fake_llm.chat_requests()) == 1 and client.schema_rejected(NAME) is None


def test_a_refused_connection_is_the_server_being_down_not_the_schema() -> None:
    client = LLMClient(LLMSettings.model_validate({"url": f"http://127.0.0.1:{free_port()}/v1", "connect_retries": 1,
                                                   "models": {"fast": "m"}, "flavour": "vllm"}))
    with pytest.raises(LLMUnavailable, match=r"cannot connect .*ConnectError"):
        client.chat(MESSAGES, task="qa", schema=SCHEMA, schema_name=NAME)
    assert client.schema_rejected(NAME) is None


def test_a_stream_broken_mid_answer_is_not_retried_nor_blamed_on_the_schema(fake_llm: FakeOpenAI) -> None:
    fake_llm.default_answer = ANSWER
    fake_llm.break_stream_after = 2
    seen: list[str] = []
    client = _client(fake_llm, connect_retries=2)
    with pytest.raises(LLMUnavailable, match="broke mid-answer"):
        client.chat(MESSAGES, task="qa", schema=SCHEMA, schema_name=NAME, on_token=seen.append)
    assert len(fake_llm.chat_requests()) == 1 and client.schema_rejected(NAME) is None
    assert seen and ANSWER.startswith("".join(seen))  # what arrived was passed on once


def test_a_server_in_json_mode_already_gets_no_retry(fake_llm: FakeOpenAI) -> None:
    fake_llm.owned_by = "someone"  # generic flavour: plain JSON mode from the start
    fake_llm.fail_next("/chat/completions", 400, {"error": {"message": "response_format json_object unsupported"}})
    result = _ask(_client(fake_llm))
    assert result.unavailable and len(fake_llm.chat_requests()) == 1


def test_the_fallback_is_counted_in_the_metrics(fake_llm: FakeOpenAI) -> None:
    fake_llm.reject_schemas = REJECTIONS[0]
    fake_llm.default_answer = ANSWER
    metrics = RecordingMetrics()
    _ask(_client(fake_llm, metrics=metrics))
    assert [labels for name, labels in metrics.counted if name == "opsbot_llm_requests"] == [
        ("qa", "schema_rejected"), ("qa", "ok")]


@pytest.mark.integration  # a real Redis
def test_the_rejection_is_remembered_in_redis_for_every_client_and_audited(
        fake_llm: FakeOpenAI, clean_redis: redis_lib.Redis, redis_url: str) -> None:
    fake_llm.drop_schemas = True
    fake_llm.default_answer = ANSWER
    assert _ask(_client(fake_llm, clean_redis, cache_ttl_s=0)).answer is not None
    assert len(fake_llm.chat_requests()) == 2

    other_worker = _client(fake_llm, redis_lib.Redis.from_url(redis_url), cache_ttl_s=0)
    assert _ask(other_worker).answer is not None
    assert _formats(fake_llm)[2:] == [JSON_MODE]  # it knew from Redis: no schema sent, no drop
    key = f"opsbot:llm:schema_rejected:{fake_llm.api_url}"
    assert clean_redis.hexists(key, NAME) and 0 < cast(int, clean_redis.ttl(key)) <= 7 * 24 * 3600

    records = AuditLog(clean_redis, 100).latest(10)[::-1]
    assert [r.outcome for r in records] == ["schema_rejected", "ok", "ok"]
    assert "dropped the connection" in records[0].detail and "retried in JSON mode" in records[0].detail
    assert all("JSON mode: the server rejected schema 'answer'" in r.detail for r in records[1:])
