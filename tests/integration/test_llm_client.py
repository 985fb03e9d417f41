"""The LLM client on a real Redis (with the fake OpenAI-compatible server): the shared concurrency limit,
leases, the answer cache and the audit log, and `opsbot llm audit`."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_lib

from integrations.llm.audit import AuditLog, AuditRecord
from integrations.llm.client import LLMUnavailable, Message
from integrations.llm.semaphore import RedisSemaphore
from tests.support.fakes.openai_api import FakeOpenAI
from tests.support.llm_requests import MESSAGES, SCHEMA, make_client
from tests.support.stack import REPO, stack_env


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI().run_in_thread() as server:
        yield server


def test_shared_concurrency_limit_across_clients(fake: FakeOpenAI, clean_redis: redis_lib.Redis,
                                                 redis_url: str) -> None:
    """Four 'workers' (separate clients, one Redis) and a limit of 1: the server never sees two at once."""
    fake.delay_s = 0.3
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            client = make_client(fake, redis_lib.Redis.from_url(redis_url), concurrency=1, cache_ttl_s=0)
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
        make_client(fake, clean_redis, concurrency=1, queue_wait_s=0.2).chat(MESSAGES, task="triage")
    assert fake.chat_requests() == []


def test_expired_lease_frees_the_slot(clean_redis: redis_lib.Redis) -> None:
    semaphore = RedisSemaphore(clean_redis, 1)
    assert semaphore.try_acquire("crashed-worker", lease_s=-1)  # a holder whose lease already ran out
    assert semaphore.try_acquire("next", lease_s=60)
    assert not semaphore.try_acquire("third", lease_s=60)


def test_answer_cache_and_audit(fake: FakeOpenAI, clean_redis: redis_lib.Redis) -> None:
    client = make_client(fake, clean_redis, audit_max_len=10)
    first = client.chat(MESSAGES, task="triage", schema=SCHEMA)
    second = client.chat(MESSAGES, task="triage", schema=SCHEMA)
    assert len(fake.chat_requests()) == 1
    assert second.cached and second.text == first.text
    records = AuditLog(clean_redis, 10).latest(5)
    assert [r.outcome for r in records] == ["cached", "ok"]
    assert records[1].prompt_tokens > 0 and records[1].completion_tokens > 0 and records[1].model == "fake-model"
    assert records[0].prompt_sha256 == records[1].prompt_sha256 != ""


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
