"""The explanation step in the running bot (real web + worker on Redis, fake OpenAI-compatible LLM):
alert cards and /ceph diagnosis cards get exactly one call, updated in place; a grounded answer is a
hypothesis apart from the findings, anything else (ungrounded, failed, hung) one footer line. The
competence gate is off here (its own tests cover it): this is about the plumbing."""

from __future__ import annotations

import copy
import json
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis as redis_lib

from tests.support.chat_requests import SLACK_SIGNING_SECRET, slack_command, slack_headers
from tests.support.fakes import slack_api
from tests.support.fakes.openai_api import FakeOpenAI
from tests.support.fakes.slack_api import FakeSlack
from tests.support.paths import TEST_DATA
from tests.support.servers import wait_until
from tests.support.stack import BotStack, bot_stack

DATA = TEST_DATA
ANSWER = json.dumps({"probable_cause": "The pod runs out of memory on start.", "confidence": "low",
                     "evidence": [], "next_steps": [{"command": "kubectl describe pod checkout -n shop",
                                                     "why": "last state"},
                                                    {"command": "kubectl delete pod checkout -n shop", "why": "x"}],
                     "citations": []})


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(model="fake-8b", owned_by="vllm").run_in_thread() as fake:
        yield fake


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    with FakeSlack().run_in_thread() as fake:
        yield fake


@pytest.fixture(scope="module")
def stack(redis_url: str, tmp_path_factory: pytest.TempPathFactory, llm: FakeOpenAI,
          slack: FakeSlack) -> Iterator[BotStack]:
    redis_lib.Redis.from_url(redis_url).flushall()
    # No answer cache: every test's alert has the same content (the cache has its own tests).
    env = {"OPSBOT_LLM__URL": llm.api_url, "OPSBOT_LLM__TIMEOUT_S": json.dumps({"triage": 2, "diagnosis": 2}),
           "OPSBOT_LLM__CACHE_TTL_S": "0", "OPSBOT_LLM__GATE": "off",
           "OPSBOT_CONSOLE__ENABLED": "on", "OPSBOT_KNOWLEDGE__BUNDLED_RUNBOOKS": "false",
           "OPSBOT_SLACK__BOT_TOKEN": slack_api.BOT_TOKEN, "OPSBOT_SLACK__API_URL": slack.api_url,
           "OPSBOT_SLACK__SIGNING_SECRET": SLACK_SIGNING_SECRET}
    with bot_stack(redis_url, tmp_path_factory.mktemp("explain-stack"), env) as running:
        yield running


@pytest.fixture(autouse=True)
def _reset(llm: FakeOpenAI) -> None:
    llm.delay_s = 0
    llm.default_answer = ANSWER


def _fire(stack: BotStack, payload: dict[str, Any]) -> str:
    alert = copy.deepcopy(payload)
    alert["groupKey"] = f'{{}}:{{alertname="KubePodCrashLooping", run="{uuid.uuid4().hex}"}}'
    alert["alerts"][0]["fingerprint"] = uuid.uuid4().hex[:16]
    assert stack.post_webhook(alert) == "accepted"
    return str(alert["groupKey"])


def _wait_card(stack: BotStack, since: int, check: Any, what: str) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        cards = [e["card"] for e in stack.card_events()[since:] if e["action"] in ("post", "update")]
        return next((c for c in reversed(cards) if check(c)), None)

    wait_until(lambda: found() is not None, timeout=40, what=what)
    card = found()
    assert card is not None
    return card


def test_alert_card_is_explained_in_place_with_one_call(stack: BotStack, llm: FakeOpenAI,
                                                        firing_payload: dict[str, Any]) -> None:
    since, calls = len(stack.card_events()), len(llm.chat_requests())
    _fire(stack, firing_payload)
    card = _wait_card(stack, since, lambda c: "LLM fake-8b: 1 call" in c["footer"], "card after the LLM pass")
    # Nothing on this card to cite (no evidence source, no runbook): the answer is not shown.
    assert card["hypothesis"] is None and "cited no evidence or runbook on this card" in card["footer"]
    commands = [s["command"] for s in card["steps"]]
    assert "kubectl delete pod checkout -n shop" not in commands
    events = stack.card_events()[since:]
    assert len([e for e in events if e["action"] == "post"]) == 1  # one card, updated in place
    assert len(llm.chat_requests()) - calls == 1  # exactly one LLM call per alert group
    body = llm.chat_requests()[-1]
    assert body["response_format"]["type"] == "json_schema" and body["max_tokens"] == 400
    assert "KubePodCrashLooping" in body["messages"][1]["content"]

    with urllib.request.urlopen(f"{stack.web_url}/metrics", timeout=5) as resp:
        metrics = resp.read().decode()
    assert 'opsbot_llm_requests_total{outcome="ok",task="triage"}' in metrics
    assert 'opsbot_llm_explanations_total{kind="triage",status="explained"}' in metrics


def test_llm_error_still_updates_the_card(stack: BotStack, llm: FakeOpenAI, firing_payload: dict[str, Any]) -> None:
    since = len(stack.card_events())
    llm.fail_next("/chat/completions", 500, {"error": {"message": "CUDA out of memory"}})
    _fire(stack, firing_payload)
    card = _wait_card(stack, since, lambda c: "LLM unavailable: HTTP 500" in c["footer"], "fallback card")
    assert card["footer"].startswith("triaged") and card["hypothesis"] is None


def test_hanging_llm_still_updates_the_card(stack: BotStack, llm: FakeOpenAI, firing_payload: dict[str, Any]) -> None:
    since = len(stack.card_events())
    llm.delay_s = 6
    _fire(stack, firing_payload)
    card = _wait_card(stack, since, lambda c: "LLM unavailable: no answer within 2 s" in c["footer"], "fallback card")
    assert card["hypothesis"] is None


def test_ceph_diagnosis_card_is_explained(stack: BotStack, llm: FakeOpenAI, slack: FakeSlack) -> None:
    llm.default_answer = json.dumps({"probable_cause": "osd.3 is down and its PGs are degraded.", "confidence": "high",
                                     "evidence": ["ceph:pasted"], "citations": [],
                                     "next_steps": [{"command": "ceph osd tree", "why": "which host"},
                                                    {"command": "ceph osd out 3", "why": "not read-only"}]})
    paste = (DATA / "ceph" / "health-detail-osd-down.txt").read_text()
    body = slack_command("/ceph", f"```\n{paste}\n```", channel_id="C0STORAGE")
    status, _ = stack.post_form("/slack/events", body, slack_headers(body))
    assert status == 200

    def text() -> str:
        posted = [p for p in slack.posts if p.get("channel") == "C0STORAGE"]
        return json.dumps(slack.messages[("C0STORAGE", posted[0]["ts"])]) if posted else ""

    wait_until(lambda: "osd.3 is down and its PGs" in text() and "OSD_DOWN" in text(), timeout=40,
               what="ceph diagnosis with its hypothesis")
    assert "Hypothesis (LLM, not a finding)" in text()
    assert "ceph osd tree" in text() and "ceph osd out 3" not in text()
    assert len([p for p in slack.posts if p.get("channel") == "C0STORAGE"]) == 1
    assert "Ceph cluster" in llm.chat_requests()[-1]["messages"][0]["content"]
