"""A storm with a slow LLM: 20 alert groups at once while every LLM call takes 20 s. The LLM has its
own worker pool (as `opsbot up` and the Procfile run it), so every first card still arrives within
seconds, and the LLM pass waits its turn without holding the alerts' or evidence's workers."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis as redis_lib

from tests.support.fakes.openai_api import FakeOpenAI
from tests.support.servers import wait_until
from tests.support.stack import BotStack, bot_stack

GROUPS = 20
LLM_CALL_S = 20.0
FIRST_CARD_WITHIN_S = 10.0  # generous for a loaded 2-core CI machine; bench/storm_bench.py measures it


@pytest.fixture
def slow_llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(model="slow-70b", owned_by="vllm").run_in_thread() as fake:
        fake.delay_s = LLM_CALL_S
        yield fake


@pytest.fixture
def stack(redis_url: str, tmp_path_factory: pytest.TempPathFactory, slow_llm: FakeOpenAI) -> Iterator[BotStack]:
    redis_lib.Redis.from_url(redis_url).flushall()
    env = {"OPSBOT_LLM__URL": slow_llm.api_url, "OPSBOT_LLM__TIMEOUT_S": json.dumps({"triage": 30}),
           "OPSBOT_LLM__CACHE_TTL_S": "0", "OPSBOT_CONSOLE__ENABLED": "on", "OPSBOT_KNOWLEDGE__ENABLED": "false",
           "OPSBOT_LLM__GATE": "off",  # the slow model must really be asked, or the storm proves nothing
           "OPSBOT_STORM__ENABLED": "false"}  # every group's own first card is what is measured, not a digest
    threads = ("--pool", "threads", "--concurrency")
    with bot_stack(redis_url, tmp_path_factory.mktemp("storm"), env,
                   worker_args=("-Q", "alerts,chat", *threads, "4")) as running:
        running.start_worker("collect", "-Q", "collect", *threads, "4")
        running.start_worker("llm", "-Q", "llm", *threads, "1")
        yield running


def test_every_first_card_arrives_while_the_llm_is_slow(stack: BotStack, firing_payload: dict[str, Any],
                                                        slow_llm: FakeOpenAI) -> None:
    sent: dict[str, float] = {}
    for n in range(GROUPS):
        alert = copy.deepcopy(firing_payload)
        alert["groupKey"] = f'{{}}:{{alertname="KubePodCrashLooping", storm="{n}"}}'
        alert["alerts"][0]["fingerprint"] = f"storm-{n:02d}"
        alert["alerts"][0]["labels"]["pod"] = alert["commonLabels"]["pod"] = f"checkout-{n}"
        sent[f"checkout-{n}"] = time.time()
        assert stack.post_webhook(alert) == "accepted"

    def first_cards() -> dict[str, float]:
        found: dict[str, float] = {}
        for event in stack.card_events():
            pod = next((f["value"] for f in event.get("card", {}).get("fields", []) if f["name"] == "pod"), None)
            if event["action"] == "post" and pod in sent and pod not in found:
                found[pod] = event["ts"]
        return found

    wait_until(lambda: len(first_cards()) == GROUPS, timeout=60, what="every first card")
    waits = sorted(first_cards()[pod] - sent[pod] for pod in sent)
    assert waits[-1] <= FIRST_CARD_WITHIN_S, waits
    # The LLM pool was busy with a 20 s call the whole time: first cards never waited for it.
    wait_until(lambda: len(slow_llm.chat_requests()) >= 1, timeout=20, what="the first LLM call")
    assert len(slow_llm.chat_requests()) <= 2
