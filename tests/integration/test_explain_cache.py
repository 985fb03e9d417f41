"""The triage explanation's answer cache on a real Redis: the same input makes no second LLM call."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis as redis_lib

from handlers.llm import explain
from tests.support.explain_inputs import make_answer, make_card, make_client, make_enrichment
from tests.support.fakes.openai_api import FakeOpenAI


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(owned_by="vllm").run_in_thread() as server:
        yield server


def test_cached_answer_makes_no_second_call(fake: FakeOpenAI, clean_redis: redis_lib.Redis) -> None:
    fake.default_answer = make_answer()
    inp = explain.triage_input(make_card(), make_enrichment())
    client = make_client(fake, clean_redis)
    first = explain.explain(inp, client, budget_tokens=3000, task="triage")
    second = explain.explain(inp, client, budget_tokens=3000, task="triage")
    assert first.status == second.status == "explained"
    assert len(fake.chat_requests()) == 1
    assert second.cached and "cached answer" in explain.cost_note(second)
