"""The LLM review of pasted configuration on the heavy model (a fake OpenAI-compatible server), keeping only
issues that quote the configuration."""

from __future__ import annotations

import json

from bot.config import load_settings
from core.events import Command
from handlers.config_review import handle_command
from tests.support.fakes.openai_api import FakeOpenAI
from tests.support.paths import TEST_DATA

DATA = TEST_DATA / "config"


def test_llm_review_uses_the_heavy_model_and_keeps_only_grounded_issues(fake_llm: FakeOpenAI) -> None:
    fake_llm.default_answer = json.dumps({"issues": [
        {"severity": "warning", "where": "endpoint: 0.0.0.0:4317", "problem": "OTLP listens on every interface",
         "fix": "Bind it to the pod IP or 127.0.0.1 unless other hosts must send to it."},
        {"severity": "error", "where": "tls: insecure: true", "problem": "TLS checks are off", "fix": "Turn them on."},
    ]})
    client = fake_llm.llm_client(models={"fast": "small-7b", "heavy": "big-70b"})
    cmd = Command(platform="slack", channel="C1", name="config", text=(DATA / "otel-collector.yaml").read_text())
    card = handle_command(cmd, load_settings(), llm=client)
    llm = [f for f in card.findings if f.code == "CONFIG_REVIEW_LLM"]
    assert [f.title for f in llm] == ["endpoint: 0.0.0.0:4317: OTLP listens on every interface (LLM)"]
    assert "1 issue(s) dropped" in card.footer  # the TLS one quotes nothing in the configuration
    (request,) = fake_llm.chat_requests()
    assert request["model"] == "big-70b"
    assert "OTEL_UNDEFINED_COMPONENT" in request["messages"][1]["content"]  # not asked again

    fake_llm.fail_next("/v1/chat/completions", 500, {"error": {"message": "boom"}})
    down = handle_command(cmd, load_settings(), llm=client)
    assert down.unavailable[0].reason.startswith("LLM unavailable: HTTP 500")
    assert any(f.code == "OTEL_NO_BATCH" for f in down.findings)  # the checks still answer
