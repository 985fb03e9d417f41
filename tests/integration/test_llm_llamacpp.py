"""Against a real llama.cpp server (llama-cpp-python[server], the `llm` extra) with SmolLM2-135M:
a schema-valid JSON answer comes back and is parsed, streaming works, timeouts fire, `opsbot llm
check` reports the server. Nothing here asserts on what the small model says."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from bot.embedded_llm import EmbeddedLLM
from core.cards import Card, CardKind, CardStatus
from core.enrichment import Enrichment
from core.models import Evidence, Finding, Severity
from handlers.llm import explain
from integrations.llm.client import LLMClient, LLMTimeout, Message
from integrations.llm.config import EmbeddedLLMSettings, LLMSettings
from tests.support.stack import REPO


@pytest.fixture(scope="module")
def llama_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One llama.cpp server for this module, started exactly as `opsbot up` starts the embedded one."""
    server = EmbeddedLLM(EmbeddedLLMSettings(), tmp_path_factory.mktemp("llm"))
    url = server.start()  # fails (not skips) when the llm extra is missing: CI builds it
    try:
        yield url
    finally:
        server.stop()


def _client(url: str, **overrides: object) -> LLMClient:
    return LLMClient(LLMSettings.model_validate({"url": url, **overrides}))


def test_server_is_recognised_as_llamacpp(llama_url: str) -> None:
    info = _client(llama_url).server_info()
    assert info.flavour == "llamacpp" and info.models == ["smollm2"]


def test_schema_valid_json_answer_is_parsed(llama_url: str) -> None:
    card = Card(kind=CardKind.triage, status=CardStatus.firing, title="Redis cache is out of memory",
                severity=Severity.critical)
    enrichment = Enrichment(
        evidence=[Evidence(id="redis:cache", source="redis", title="Redis cache", text="used_memory 2G of 2G")],
        findings=[Finding(code="OUT_OF_MEMORY", title="used_memory reached maxmemory", evidence_refs=["redis:cache"])],
    )
    inp = explain.triage_input(card, enrichment)
    schema = explain.answer_schema(["redis:cache"], [])
    call = _client(llama_url).chat(explain.build_messages(inp, explain.Context(
        evidence=[explain._evidence_part(e) for e in inp.evidence], documents=[])), task="triage", schema=schema)
    answer = explain.parse_answer(call.text)  # grammar-enforced and length-bounded: valid for the schema
    assert set(answer.evidence) <= {"redis:cache"} and answer.citations == []
    assert call.completion_tokens > 0 and call.ttft_s is not None


def test_streaming_delivers_tokens_as_they_come(llama_url: str) -> None:
    pieces: list[str] = []
    call = _client(llama_url).chat([Message(role="user", content="Count from one to ten.")], task="qa",
                                   max_tokens=24, on_token=pieces.append)
    assert len(pieces) > 1 and "".join(pieces) == call.text
    assert call.ttft_s is not None and call.ttft_s < call.duration_s


def test_llm_check_cli(llama_url: str) -> None:
    # the battery's 16 cases on a CPU model take 1-3 min on two busy cores: the timeout only guards a hang
    out = subprocess.run([sys.executable, "-m", "bot", "llm", "check", "--url", llama_url, "--json"],
                         capture_output=True, text=True, cwd=REPO, timeout=900)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["answers"] and report["model"] == "smollm2" and report["flavour"] == "llamacpp"
    assert report["structured_output"] is True


def test_timeout_fires(llama_url: str) -> None:
    # Last in the module: llama-cpp-python keeps generating after the client gives up (bounded by max_tokens).
    with pytest.raises(LLMTimeout):
        _client(llama_url).chat([Message(role="user", content="Write a long story about a cat.")], task="qa",
                                max_tokens=64, timeout_s=0.05)
