"""The LLM client against a fake OpenAI-compatible server: request shape per flavour, model routing,
streaming, timeouts, errors and redaction. With a real Redis (concurrency limit, cache, audit log):
tests/integration/test_llm_client.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from integrations.llm.client import LLMTimeout, LLMUnavailable, Message
from tests.support.fakes.openai_api import VALID_ANSWER, FakeOpenAI
from tests.support.llm_requests import MESSAGES, SCHEMA, make_client


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI().run_in_thread() as server:
        yield server


@pytest.mark.parametrize(("flavour", "owned_by", "response_format", "limit_field"), [
    ("llamacpp", "x", {"type": "json_object", "schema": SCHEMA}, "max_tokens"),
    ("auto", "me", {"type": "json_object", "schema": SCHEMA}, "max_tokens"),  # llama-cpp-python
    ("auto", "llamacpp", {"type": "json_object", "schema": SCHEMA}, "max_tokens"),  # upstream llama-server
    ("vllm", "x", {"type": "json_schema", "json_schema": {"name": "check", "schema": SCHEMA, "strict": True}},
     "max_tokens"),
    ("auto", "vllm", {"type": "json_schema", "json_schema": {"name": "check", "schema": SCHEMA, "strict": True}},
     "max_tokens"),
    ("ollama", "library", {"type": "json_schema", "json_schema": {"name": "check", "schema": SCHEMA,
                                                                  "strict": True}}, "max_tokens"),
    ("litellm", "openai", {"type": "json_schema", "json_schema": {"name": "check", "schema": SCHEMA,
                                                                  "strict": True}}, "max_tokens"),
    ("tgi", "tgi", {"type": "json_object", "value": SCHEMA}, "max_tokens"),
    ("openai", "system", {"type": "json_schema", "json_schema": {"name": "check", "schema": SCHEMA,
                                                                 "strict": True}}, "max_completion_tokens"),
    ("auto", "someone", {"type": "json_object"}, "max_tokens"),  # unknown server: plain JSON mode
])
def test_request_shape_per_flavour(fake: FakeOpenAI, flavour: str, owned_by: str, response_format: dict[str, Any],
                                   limit_field: str) -> None:
    fake.owned_by = owned_by
    fake.default_answer = '{"status": "ok"}'
    client = make_client(fake, flavour=flavour, max_tokens=123)
    result = client.chat(MESSAGES, task="triage", schema=SCHEMA, schema_name="check")
    assert result.text == '{"status": "ok"}' and result.model == "fake-model"
    body = fake.chat_requests()[-1]
    assert body["response_format"] == response_format
    assert body[limit_field] == 123  # the token limit is always sent, in the form the server honours
    other = {"max_tokens", "max_completion_tokens"} - {limit_field}
    assert not other & body.keys()
    assert body["model"] == "fake-model" and body["stream"] is True
    assert [m["role"] for m in body["messages"]] == ["system", "user"]


def test_model_routing_fast_and_heavy(fake: FakeOpenAI) -> None:
    client = make_client(fake, models={"fast": "small-1b", "heavy": "big-70b"})
    client.chat(MESSAGES, task="triage")
    client.chat(MESSAGES, task="config")
    client.chat(MESSAGES, task="qa")
    assert [b["model"] for b in fake.chat_requests()] == ["small-1b", "big-70b", "small-1b"]


def test_streaming_reports_ttft_and_usage(fake: FakeOpenAI) -> None:
    seen: list[str] = []
    result = make_client(fake).chat(MESSAGES, task="triage", on_token=seen.append)
    assert "".join(seen) == VALID_ANSWER == result.text
    assert len(seen) > 3  # it really arrived in pieces
    assert result.ttft_s is not None and result.ttft_s <= result.duration_s
    assert result.completion_tokens == len(VALID_ANSWER) // 4  # from the stream's usage chunk
    assert fake.chat_requests()[-1]["stream_options"] == {"include_usage": True}


def test_hanging_server_times_out(fake: FakeOpenAI) -> None:
    fake.delay_s = 5
    with pytest.raises(LLMTimeout, match=r"no answer within 0\.5 s"):
        make_client(fake, connect_retries=3).chat(MESSAGES, task="triage", timeout_s=0.5)
    assert len(fake.chat_requests()) == 1  # a timeout is never retried


def test_http_500_is_unavailable_and_not_retried(fake: FakeOpenAI) -> None:
    fake.fail_next("/chat/completions", 500, {"error": {"message": "model crashed", "type": "server_error"}})
    with pytest.raises(LLMUnavailable, match="HTTP 500"):
        make_client(fake).chat(MESSAGES, task="triage")
    assert len(fake.chat_requests()) == 1


def test_no_models_listed_and_none_configured(fake: FakeOpenAI) -> None:
    fake.fail_next("/v1/models", 503, "starting")
    with pytest.raises(LLMUnavailable, match="/models"):
        make_client(fake).chat(MESSAGES, task="triage")


def test_prompt_is_redacted_before_it_leaves(fake: FakeOpenAI) -> None:
    secret = "password=hunter2-very-secret"
    make_client(fake).chat([Message(role="user", content=f"connecting\n{secret}\n")], task="triage")
    sent = json.dumps(fake.chat_requests()[-1]["messages"])
    assert "hunter2" not in sent and "[redacted]" in sent
