"""The competence gate against the fake OpenAI-compatible server, through the real LLM client: a
server that answers the battery well passes, one that answers nonsense fails, and `opsbot llm check`
prints the scores, stores the result for the model, and exits by its rules. The fake answers from a
script in the battery's order (one call per case), so nothing here depends on what a real model says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from handlers.llm import gate
from handlers.llm.gate_battery import KINDS, AskCase, Case, ExplainCase, load_battery
from tests.support.fakes.openai_api import FakeOpenAI

CHECK_ANSWER = '{"status": "ok"}'


def good(case: Case) -> str:
    return json.dumps(case.reference, ensure_ascii=False)


def nonsense(case: Case) -> str:
    """What a tiny model says: confident, uncited, off the evidence, with a command that writes."""
    if isinstance(case, ExplainCase):
        return json.dumps({"probable_cause": "Cron-OSD down", "confidence": "low", "evidence": [],
                           "next_steps": [{"command": "kubectl delete pod --all", "why": "restart"}], "citations": []})
    if isinstance(case, AskCase):
        return json.dumps({"answer": "Restart the cluster, then it works.", "citations": ["doc:1"]})
    return json.dumps({"clauses": [{"field": "message", "op": "match_phrase", "value": "error", "gte": "", "lte": "",
                                    "exclude": False}], "understood": "errors"})


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("OPSBOT_REDIS_URL", "OPSBOT_CONFIG", "OPSBOT_LLM__URL", "OPSBOT_LLM__GATE_THRESHOLD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPSBOT_DATA_DIR", str(tmp_path))
    return tmp_path


def check(*args: str) -> Any:
    return CliRunner().invoke(app, ["llm", "check", *args])


def test_a_server_that_answers_well_passes(fake_llm: FakeOpenAI) -> None:
    cases = load_battery()
    fake_llm.answers = [good(c) for c in cases]
    result = gate.run_battery(fake_llm.llm_client(), threshold=0.7)
    assert result.passed and result.overall == 1.0 and set(result.scores) == set(KINDS)
    assert result.identity == "fake-model@vllm" and result.url == fake_llm.api_url
    requests = fake_llm.chat_requests()
    assert len(requests) == len(cases)  # one schema-bound call per case, as the bot makes them
    assert all(r["max_tokens"] == 400 and r["response_format"]["type"] == "json_schema" for r in requests)
    assert [r["response_format"]["json_schema"]["name"] for r in requests[:1]] == ["triage_explanation"]


def test_a_server_that_answers_nonsense_fails(fake_llm: FakeOpenAI) -> None:
    cases = load_battery()
    fake_llm.answers = [nonsense(c) for c in cases]
    result = gate.run_battery(fake_llm.llm_client(), threshold=0.7)
    assert not result.passed and result.overall < 0.2
    assert result.scores["triage"] == result.scores["diagnosis"] == result.scores["logs"] == 0.0
    assert all("changes something" in o.reason for o in result.cases if o.kind in ("triage", "diagnosis"))
    assert len(fake_llm.chat_requests()) == len(cases)


def test_cli_prints_scores_and_stores_the_result(fake_llm: FakeOpenAI, data_dir: Path) -> None:
    fake_llm.answers = [CHECK_ANSWER, *(good(c) for c in load_battery())]
    done = check("--url", fake_llm.api_url)
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith(f"url: {fake_llm.api_url}\n")
    assert "structured_output: True" in done.stdout
    for kind in KINDS:
        assert f"  {kind:<10} 1.00" in done.stdout
    assert "overall    1.00  PASS (threshold 0.70)" in done.stdout
    assert "[ 1/16] triage    oomkilled" in done.stderr and "[16/16] logs" in done.stderr
    stored = json.loads((data_dir / "llm-gate.json").read_text())
    assert list(stored) == ["fake-model@vllm"] and stored["fake-model@vllm"]["passed"] is True
    verdict = gate.client_verdict(fake_llm.llm_client(), mode="auto", threshold=0.7, data_dir=data_dir)
    assert verdict.show and verdict.line == ""


def test_cli_json_and_strict_with_a_failing_model(fake_llm: FakeOpenAI, data_dir: Path) -> None:
    fake_llm.answers = [CHECK_ANSWER, *(nonsense(c) for c in load_battery())]
    done = check("--url", fake_llm.api_url, "--json", "--strict")
    assert done.exit_code == 2, done.output
    report = json.loads(done.stdout)
    assert report["answers"] is True and report["url"] == fake_llm.api_url
    battery = report["battery"]
    assert battery["passed"] is False and battery["threshold"] == 0.7 and set(battery["scores"]) == set(KINDS)
    assert len(battery["cases"]) == len(load_battery()) and report["stored"] == [str(data_dir / "llm-gate.json")]
    verdict = gate.client_verdict(fake_llm.llm_client(), mode="auto", threshold=0.7, data_dir=data_dir)
    assert not verdict.show
    assert verdict.line == (f"LLM hypothesis hidden: fake-model scored {battery['overall']:.2f} < 0.70 on its "
                            "competence check (opsbot llm check)")
    fake_llm.answers = [CHECK_ANSWER, *(nonsense(c) for c in load_battery())]
    assert check("--url", fake_llm.api_url).exit_code == 0  # without --strict a failing model is not an error


def test_cli_quick_skips_the_battery(fake_llm: FakeOpenAI, data_dir: Path) -> None:
    fake_llm.answers = [CHECK_ANSWER]
    done = check("--url", fake_llm.api_url, "--quick", "--json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["structured_output"] is True and "battery" not in report
    assert len(fake_llm.chat_requests()) == 1 and not (data_dir / "llm-gate.json").exists()


def test_cli_exit_1_when_the_server_does_not_answer(data_dir: Path) -> None:
    done = check("--url", "http://127.0.0.1:9/v1")
    assert done.exit_code == 1
    assert "url: http://127.0.0.1:9/v1" in done.stdout and "answers: False" in done.stdout
    assert not (data_dir / "llm-gate.json").exists()
