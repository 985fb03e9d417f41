"""Every planted secret kind, on every path into a card, reaches neither the posted card nor the LLM
prompt; every look-alike reaches both unchanged.

The paths: an alert annotation (the card's text and the prompt's header), a label (a card field and the
Alertmanager silence link, percent-encoded), `runbook_url` (percent-encoded in its query), a pod log
line and an event message (the Kubernetes collector against the fake API server), and command output
(pasted `ceph health detail`). The card goes out through `RedactingChannel` over the console channel.
The prompt is what the real LLM client puts on the wire: its `chat` redacts, and the transport below it
is replaced by a recorder per case (building LangChain's HTTP client costs 50 ms a call); one test sends
every kind through the fake OpenAI server to check the wire itself. The compromised-model path rides
along: the model echoes the planted text into its answer, which becomes the hypothesis.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest
from rich.console import Console

from core.cards import Card
from core.events import AlertGroup
from handlers.ceph import diagnose_paste, diagnosis_card
from handlers.enrichers.evidence import KubernetesEnricher
from handlers.llm import explain
from handlers.triage import enriched_card, first_card
from integrations.ceph.config import CephDiagnosisSettings
from integrations.chat import RedactingChannel
from integrations.console import ConsoleChannel
from integrations.kubernetes.config import KubeCluster, KubernetesSettings
from integrations.llm.client import LLMClient
from integrations.llm.config import LLMSettings
from integrations.llm.types import CallResult, Message
from tests.support.explain_inputs import make_client
from tests.support.fakes import kubernetes_api as k8s
from tests.support.fakes.kubernetes_api import FakeKubernetes
from tests.support.fakes.openai_api import FakeOpenAI
from tests.support.planted_secrets import LOOKALIKES, PLANTED

RUNBOOK = "https://runbooks.example.internal/k8s/crashloop"
ALERTMANAGER = "http://alertmanager.example.internal"


@pytest.fixture(scope="module")
def kube() -> Iterator[FakeKubernetes]:
    with FakeKubernetes().run_in_thread() as fake:
        yield fake


class RecordingLLM(LLMClient):
    """The real client down to the transport: what `_call_with_slot` is handed (after `chat` redacted
    it) is recorded, and the scripted answer comes back."""

    def __init__(self) -> None:
        super().__init__(LLMSettings.model_validate({"url": "http://llm.invalid/v1", "flavour": "vllm",
                                                     "models": {"fast": "fake", "heavy": "fake"}}))
        self.answers: list[str] = []
        self.sent: list[list[Message]] = []

    def _call_with_slot(self, messages: list[Message], *, timeout: float, **kwargs: Any) -> CallResult:
        self.sent.append(messages)
        return CallResult(text=self.answers.pop(0), model=kwargs["model"], flavour=kwargs["flavour"])


@pytest.fixture(scope="module")
def llm() -> RecordingLLM:
    return RecordingLLM()


def group_with(text: str) -> AlertGroup:
    """`text` in an annotation, a label (a location field and the silence link) and runbook_url."""
    labels = {"alertname": "KubePodCrashLooping", "namespace": k8s.NS, "pod": k8s.OOM_POD, "service": text}
    annotations = {"summary": "checkout is crash looping", "description": f"The pod restarts. {text}",
                   "runbook_url": f"{RUNBOOK}?note={quote(text, safe='')}"}
    return AlertGroup.model_validate({
        "version": "4", "groupKey": '{}:{alertname="KubePodCrashLooping"}', "status": "firing", "receiver": "opsbot",
        "commonLabels": labels, "commonAnnotations": annotations, "externalURL": ALERTMANAGER,
        "alerts": [{"status": "firing", "labels": {**labels, "severity": "critical"}, "annotations": annotations,
                    "fingerprint": "f1", "generatorURL": "http://prometheus.example.internal/graph?g0.expr=up",
                    "startsAt": (datetime.now(UTC) - timedelta(minutes=5)).isoformat()}]})


def cluster_with(fake: FakeKubernetes, text: str) -> None:
    """`text` in the crashed container's log and in an event of the pod."""
    fake.pods.clear()
    fake.logs.clear()
    fake.events.clear()
    fake.workloads.clear()
    fake.nodes.clear()
    k8s.oom_crashloop(fake, previous_log=f"starting checkout 2.4.1\n{text}\n"
                                         "java.lang.OutOfMemoryError: Java heap space\n")
    fake.events.append(k8s.event(k8s.NS, "Pod", k8s.OOM_POD, "Failed", f"container app: {text}", ago_s=5))


def ceph_paste(text: str) -> str:
    detail = "\n".join(f"    {line}" for line in text.splitlines())
    return ("HEALTH_WARN 1 daemons have recently crashed\n[WRN] RECENT_CRASH: 1 daemons have recently crashed\n"
            f"{detail}\n")


def answer_echoing(text: str, evidence_id: str) -> str:
    return json.dumps({"probable_cause": f"The log says {text}"[:220], "confidence": "medium",
                       "evidence": [evidence_id], "next_steps": [], "citations": []})


def prompt_of(llm: RecordingLLM) -> str:
    return "\n".join(m.content for m in llm.sent[-1])


def run_paths(text: str, kube: FakeKubernetes, llm: RecordingLLM, tmp_path: Path) -> dict[str, Any]:
    """Build both cards, explain both with the (fake) LLM, post both; what went out, and what went in."""
    cluster_with(kube, text)
    group = group_with(text)
    enrichment = KubernetesEnricher(KubernetesSettings(clusters={"prod": KubeCluster(host=kube.base_url,
                                                                                     token=k8s.TOKEN)})).collect(group)
    client = llm
    card = enriched_card(first_card(group), enrichment)
    evidence_ids = [e.id for e in enrichment.evidence]
    llm.answers = [answer_echoing(text, evidence_ids[0])]
    result = explain.explain(explain.triage_input(card, enrichment), client, budget_tokens=3000, task="triage")
    triage_prompt = prompt_of(llm)
    card = enriched_card(first_card(group), explain.triage_enrichment(enrichment, result, explain.ShowAll()))

    ceph = diagnose_paste(ceph_paste(text), CephDiagnosisSettings())
    ceph_card = diagnosis_card(ceph, target="paste")
    llm.answers = [answer_echoing(text, "ceph:pasted")]
    ceph_result = explain.explain(explain.diagnosis_input(ceph_card, "Ceph cluster"), client, budget_tokens=3000,
                                  task="diagnosis")
    ceph_prompt = prompt_of(llm)
    ceph_card = explain.explained_card(ceph_card, ceph_result, explain.ShowAll())

    cards_file = tmp_path / "cards.jsonl"
    channel = RedactingChannel(ConsoleChannel(cards_file, console=Console(file=io.StringIO(), width=200)))
    channel.post("oncall", card)
    channel.post("oncall", ceph_card)
    posted = [json.loads(line)["card"] for line in cards_file.read_text().splitlines()]
    return {"card": card, "ceph_card": ceph_card, "posted": posted, "enrichment": enrichment,
            "prompts": [triage_prompt, ceph_prompt], "hypothesis": [result.status, ceph_result.status]}


@pytest.mark.parametrize(("kind", "text", "secret"), PLANTED, ids=[p[0] for p in PLANTED])
def test_a_secret_reaches_neither_the_card_nor_the_prompt(kind: str, text: str, secret: str, kube: FakeKubernetes,
                                                          llm: RecordingLLM, tmp_path: Path) -> None:
    out = run_paths(text, kube, llm, tmp_path)
    card: Card = out["card"]
    # the secret was on every path going in: annotation, label, runbook_url, log, event, paste, LLM answer
    assert secret in card.text and secret in (card.field("service") or "")
    assert any(secret in unquote(link.url) for link in card.links if link.title == "Runbook")
    assert any(secret in unquote(link.url) for link in card.links if link.title == "Silence")
    assert secret in out["ceph_card"].text
    assert out["hypothesis"] == ["explained", "explained"]
    posted = json.dumps(out["posted"], ensure_ascii=False)
    for shown in (posted, unquote(posted), unquote(unquote(posted))):
        assert secret not in shown, f"{kind} reached the posted card"
    for prompt in out["prompts"]:
        assert secret not in prompt and secret not in unquote(prompt), f"{kind} reached the LLM prompt"
    assert "[redacted]" in posted and "%5Bredacted%5D" in posted


@pytest.mark.parametrize(("kind", "text"), LOOKALIKES, ids=[k for k, _ in LOOKALIKES])
def test_a_lookalike_reaches_both_unchanged(kind: str, text: str, kube: FakeKubernetes, llm: RecordingLLM,
                                            tmp_path: Path) -> None:
    out = run_paths(text, kube, llm, tmp_path)
    card, ceph_card = out["card"], out["ceph_card"]
    assert [c for c in out["posted"]] == [card.model_dump(mode="json"), ceph_card.model_dump(mode="json")], \
        f"{kind} was changed on its way to the card"
    assert text in card.text and card.field("service") == text and text in ceph_card.text
    assert [link.url for link in card.links if link.title == "Runbook"] == [f"{RUNBOOK}?note={quote(text, safe='')}"]
    evidence = "\n".join(e.text for e in out["enrichment"].evidence)
    assert evidence.count(text) >= 2, f"{kind} lost from the log or the event"  # the log line and the event
    triage_prompt, ceph_prompt = out["prompts"]
    assert triage_prompt.count(text) >= 2 and text in ceph_prompt, f"{kind} lost from the prompt"
    assert "[redacted]" not in json.dumps(out["posted"]) + triage_prompt + ceph_prompt


def test_on_the_wire_no_kind_reaches_the_llm_server() -> None:
    """Every kind in one prompt, through the real client and HTTP to the fake OpenAI server; the look-alikes
    go through untouched."""
    lines = [text for _, text, _ in PLANTED] + [text for _, text in LOOKALIKES]
    with FakeOpenAI(owned_by="vllm").run_in_thread() as fake:
        make_client(fake).chat([Message(role="user", content="\n".join(lines))], task="triage")
        (sent,) = fake.chat_requests()
    prompt = "\n".join(m["content"] for m in sent["messages"])
    assert not [kind for kind, _, secret in PLANTED if secret in prompt or secret in unquote(prompt)]
    assert not [kind for kind, text in LOOKALIKES if text not in prompt]
