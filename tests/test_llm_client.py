"""The LLM client against a fake OpenAI-compatible server: request shape per flavour, timeouts,
errors, connection retries, the shared concurrency limit, the answer cache and the audit log."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib

from integrations.llm.audit import AuditLog, AuditRecord
from integrations.llm.client import LLMClient, LLMTimeout, LLMUnavailable, Message
from integrations.llm.config import LLMSettings
from integrations.llm.semaphore import RedisSemaphore
from tests.fakes.openai_api import VALID_ANSWER, FakeOpenAI
from tests.servers import free_port
from tests.stack import REPO, stack_env

SCHEMA = {"type": "object", "properties": {"status": {"type": "string"}}, "required": ["status"]}
MESSAGES = [Message(role="system", content="Answer in JSON."), Message(role="user", content="How is it?")]


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI().run_in_thread() as server:
        yield server


def _client(fake: FakeOpenAI, redis_client: redis_lib.Redis | None = None, **overrides: Any) -> LLMClient:
    settings = LLMSettings.model_validate({"url": fake.api_url, **overrides})
    return LLMClient(settings, redis_client)


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
    client = _client(fake, flavour=flavour, max_tokens=123)
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
    client = _client(fake, models={"fast": "small-1b", "heavy": "big-70b"})
    client.chat(MESSAGES, task="triage")
    client.chat(MESSAGES, task="config")
    client.chat(MESSAGES, task="qa")
    assert [b["model"] for b in fake.chat_requests()] == ["small-1b", "big-70b", "small-1b"]


def test_streaming_reports_ttft_and_usage(fake: FakeOpenAI) -> None:
    seen: list[str] = []
    result = _client(fake).chat(MESSAGES, task="triage", on_token=seen.append)
    assert "".join(seen) == VALID_ANSWER == result.text
    assert len(seen) > 3  # it really arrived in pieces
    assert result.ttft_s is not None and result.ttft_s <= result.duration_s
    assert result.completion_tokens == len(VALID_ANSWER) // 4  # from the stream's usage chunk
    assert fake.chat_requests()[-1]["stream_options"] == {"include_usage": True}


def test_hanging_server_times_out(fake: FakeOpenAI) -> None:
    fake.delay_s = 5
    with pytest.raises(LLMTimeout, match=r"no answer within 0\.5 s"):
        _client(fake, connect_retries=3).chat(MESSAGES, task="triage", timeout_s=0.5)
    assert len(fake.chat_requests()) == 1  # a timeout is never retried


def test_http_500_is_unavailable_and_not_retried(fake: FakeOpenAI) -> None:
    fake.fail_next("/chat/completions", 500, {"error": {"message": "model crashed", "type": "server_error"}})
    with pytest.raises(LLMUnavailable, match="HTTP 500"):
        _client(fake).chat(MESSAGES, task="triage")
    assert len(fake.chat_requests()) == 1


def test_connection_errors_are_retried_then_unavailable() -> None:
    settings = LLMSettings(url=f"http://127.0.0.1:{free_port()}/v1", connect_retries=1,
                           models={"fast": "m"}, flavour="vllm")
    with pytest.raises(LLMUnavailable, match="cannot connect"):
        LLMClient(settings).chat(MESSAGES, task="triage")


def test_no_models_listed_and_none_configured(fake: FakeOpenAI) -> None:
    fake.fail_next("/v1/models", 503, "starting")
    with pytest.raises(LLMUnavailable, match="/models"):
        _client(fake).chat(MESSAGES, task="triage")


def test_shared_concurrency_limit_across_clients(fake: FakeOpenAI, clean_redis: redis_lib.Redis,
                                                 redis_url: str) -> None:
    """Four 'workers' (separate clients, one Redis) and a limit of 1: the server never sees two at once."""
    fake.delay_s = 0.3
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            client = _client(fake, redis_lib.Redis.from_url(redis_url), concurrency=1, cache_ttl_s=0)
            client.chat([*MESSAGES, Message(role="user", content=str(i))], task="triage")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert len(fake.chat_requests()) == 4
    assert fake.max_in_flight == 1


def test_no_free_slot_within_the_wait_is_unavailable(fake: FakeOpenAI, clean_redis: redis_lib.Redis) -> None:
    RedisSemaphore(clean_redis, 1).try_acquire("someone-else", lease_s=60)
    with pytest.raises(LLMUnavailable, match="no free LLM slot"):
        _client(fake, clean_redis, concurrency=1, queue_wait_s=0.2).chat(MESSAGES, task="triage")
    assert fake.chat_requests() == []


def test_expired_lease_frees_the_slot(clean_redis: redis_lib.Redis) -> None:
    semaphore = RedisSemaphore(clean_redis, 1)
    assert semaphore.try_acquire("crashed-worker", lease_s=-1)  # a holder whose lease already ran out
    assert semaphore.try_acquire("next", lease_s=60)
    assert not semaphore.try_acquire("third", lease_s=60)


def test_answer_cache_and_audit(fake: FakeOpenAI, clean_redis: redis_lib.Redis) -> None:
    client = _client(fake, clean_redis, audit_max_len=10)
    first = client.chat(MESSAGES, task="triage", schema=SCHEMA)
    second = client.chat(MESSAGES, task="triage", schema=SCHEMA)
    assert len(fake.chat_requests()) == 1
    assert second.cached and second.text == first.text
    records = AuditLog(clean_redis, 10).latest(5)
    assert [r.outcome for r in records] == ["cached", "ok"]
    assert records[1].prompt_tokens > 0 and records[1].completion_tokens > 0 and records[1].model == "fake-model"
    assert records[0].prompt_sha256 == records[1].prompt_sha256 != ""


def test_prompt_is_redacted_before_it_leaves(fake: FakeOpenAI) -> None:
    secret = "password=hunter2-very-secret"
    _client(fake).chat([Message(role="user", content=f"connecting\n{secret}\n")], task="triage")
    sent = json.dumps(fake.chat_requests()[-1]["messages"])
    assert "hunter2" not in sent and "[redacted]" in sent


def test_audit_stream_is_bounded(clean_redis: redis_lib.Redis) -> None:
    audit = AuditLog(clean_redis, 10)
    for _ in range(300):
        audit.write(AuditRecord(at=0, task="triage", model="m", outcome="ok"))
    assert int(clean_redis.xlen("opsbot:llm:audit")) <= 110  # type: ignore[arg-type]  # trimmed per node (MAXLEN ~)


def test_llm_audit_cli(clean_redis: redis_lib.Redis, redis_url: str, tmp_path: Path) -> None:
    AuditLog(clean_redis, 10).write(AuditRecord(at=1_800_000_000, task="triage", model="m-1", outcome="ok",
                                                prompt_tokens=812, completion_tokens=90, ttft_s=0.4,
                                                decode_tokens_per_s=55.0, duration_s=2.1, prompt_sha256="ab" * 32))
    env = stack_env(redis_url, tmp_path)
    out = subprocess.run([sys.executable, "-m", "bot", "llm", "audit", "--json"], capture_output=True, text=True,
                         cwd=REPO, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    (record,) = [json.loads(line) for line in out.stdout.splitlines()]
    assert record["model"] == "m-1" and record["prompt_tokens"] == 812 and record["decode_tokens_per_s"] == 55.0
    text = subprocess.run([sys.executable, "-m", "bot", "llm", "audit"], capture_output=True, text=True, cwd=REPO,
                          env=env, timeout=60).stdout
    assert "triage" in text and "prompt   812" in text and "55 tok/s" in text
