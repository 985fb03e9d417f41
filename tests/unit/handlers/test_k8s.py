"""`/k8s` cards on pasted kubectl output: primary first, quoted evidence, read-only steps, fixes, what was
not read, knowledge citations; the registry entry, `/oncall k8s` and a mention with pasted output."""

from __future__ import annotations

import pytest

from bot.commands import command_for_mention, normalise
from bot.config import Settings
from core.cards import CardKind, CardStatus
from core.events import Command, Mention
from handlers.commands import COMMANDS
from handlers.intents import route
from handlers.k8s import diagnose_paste, handle_command
from handlers.shared.commands import check_fix, is_read_only
from tests.support.paths import TEST_DATA

DATA = TEST_DATA / "k8s"
SETTINGS = Settings(knowledge={"enabled": False})


def command(text: str, name: str = "k8s") -> Command:
    return Command(platform="mattermost", channel="oncall", user="alice", name=name, text=text)


def test_card_leads_with_the_primary_problem_and_quotes_the_pasted_lines() -> None:
    card = handle_command(command("```\n" + (DATA / "oom-crashloop.txt").read_text() + "```"), SETTINGS)
    assert card.kind is CardKind.diagnosis and card.status is CardStatus.done
    assert card.title == "Kubernetes (pasted output): Container app of shop/checkout-7d9f8b6c5-x2x4z was OOM-killed"
    assert [f.code for f in card.findings] == ["OOMKilled", "CrashLoopBackOff"] and card.field("primary") == "OOMKilled"
    assert "OOMKilled: Container app" in card.text and "    > Reason:       OOMKilled" in card.text
    assert "Read: describe (lines 2-51): pod/checkout-7d9f8b6c5-x2x4z; events (lines 53-57)" in card.text
    assert card.steps and all(is_read_only(s.command) for s in card.steps)
    assert "kubectl logs -n shop checkout-7d9f8b6c5-x2x4z -c app --previous" in [s.command for s in card.steps]
    assert card.footer.startswith("k8s diagnosis · pasted output · 4 parts")


def test_fixes_are_changes_with_their_cautions() -> None:
    card = handle_command(command((DATA / "job-failed.txt").read_text()), SETTINGS)
    assert card.findings[0].code == "JobFailed"
    (fix,) = card.fixes
    assert fix.command == "kubectl delete job -n shop nightly-report" and "logs" in fix.caution
    assert all(check_fix(f.command, f.caution) is None for f in card.fixes)
    pvc = handle_command(command((DATA / "pvc-pending.txt").read_text()), SETTINGS)
    assert pvc.findings[0].code == "PVCPending" and "StorageClass fast-ssd does not exist" in pvc.summary


def test_unread_parts_are_listed_and_nothing_recognised_is_a_usage_card() -> None:
    text = "the pod is broken, here:\n" + (DATA / "config-missing.txt").read_text()
    card = handle_command(command(text), SETTINGS)
    assert card.findings[0].code == "ConfigRefMissing"
    assert "Not read (listed, not guessed at):\n    line 1: not recognised as kubectl output: «the pod is broken" \
        in card.text
    assert handle_command(command(""), SETTINGS).kind is CardKind.help
    garbage = handle_command(command("just some words\nand more words"), SETTINGS)
    assert garbage.kind is CardKind.help and "Nothing in that was recognised" in garbage.summary


def test_healthy_paste_says_so() -> None:
    card = handle_command(command((DATA / "healthy.txt").read_text()), SETTINGS)
    assert [f.code for f in card.findings] == ["NoActiveFailure"] and card.severity.value == "info"


def test_a_200_kb_paste_says_it_was_trimmed() -> None:
    line = "2026-12-01T10:58:51Z ERROR dial tcp 10.96.12.4:5432: connect: connection refused\n"
    card = handle_command(command("$ kubectl logs api-1 -n shop\n" + line * 2600), SETTINGS)
    assert "trimmed: read the first 127 KB of 205 KB; the rest was not analysed" in card.text
    assert card.findings[0].code == "DependencyRefused"


def test_json_carries_what_the_card_shows() -> None:
    data = diagnose_paste((DATA / "init-failing.txt").read_text()).as_json()
    assert data["primary"] == "InitContainerFailing" and data["summary"].startswith("Init container migrate")
    assert data["findings"][0]["quotes"] and data["steps"] and data["not_read"] == []
    assert data["read"] == ["describe (lines 2-49): pod/orders-5d4c3b2a1-kq8w2"]


def test_knowledge_about_the_findings_is_cited(monkeypatch: pytest.MonkeyPatch) -> None:
    import knowledge.service
    from knowledge.retrieval import SearchResult

    queries: list[str] = []

    class Retriever:  # stands in for the embedded index: this test covers the query and the citations
        def search(self, query: str, k: int) -> list[SearchResult]:
            queries.append(query)
            return [SearchResult(source="runbooks/k8s.md", title="Kubernetes workloads", section="ConfigRefMissing",
                                 score=0.8, text="...", doc_type="runbook")]

    monkeypatch.setattr(knowledge.service, "index_exists", lambda settings: True)
    monkeypatch.setattr(knowledge.service, "get_retriever", lambda settings: Retriever())
    card = handle_command(command((DATA / "config-missing.txt").read_text()), Settings())
    assert queries and queries[0].startswith("Kubernetes ConfigRefMissing")
    assert [c.section for c in card.citations] == ["ConfigRefMissing"]


def test_registry_umbrella_and_mentions_reach_k8s() -> None:
    assert COMMANDS["k8s"].handle is handle_command
    umbrella = normalise(command("k8s\n" + (DATA / "evicted.txt").read_text(), name="oncall"))
    assert umbrella.name == "k8s" and umbrella.text.startswith("$ kubectl describe pod")
    for name in ("oom-crashloop", "node-not-ready", "hpa-at-max", "pvc-pending"):
        assert route("<@U0BOT001> " + (DATA / f"{name}.txt").read_text()).kind == "k8s", name
    table = "@opsbot why?\nNAME        READY   STATUS             RESTARTS   AGE\napi-1  0/1  CrashLoopBackOff  4  5m"
    mention = command_for_mention(Mention(platform="slack", channel="C1", user="alice", text=table))
    assert mention.name == "k8s"
    assert route("@opsbot how do I debug a pod in CrashLoopBackOff?").kind == "ask"  # a question stays a question


def test_findings_link_the_bundled_runbook_section_of_their_code() -> None:
    from handlers.k8s import runbook_sections

    new = {"JobFailed", "CommandNotFound", "ConfigRefMissing", "VolumeMountFailed", "PVCPending", "DNSFailure",
           "DependencyRefused", "Evicted", "HPAAtMax", "InitContainerFailing", "QuotaExceeded", "ReadinessFailing"}
    assert new <= set(runbook_sections())  # one section per code in knowledge/runbooks
    settings = Settings(knowledge={"enabled": False}, web={"public_url": "https://opsbot.example.internal"})
    card = handle_command(command((DATA / "job-failed.txt").read_text()), settings)
    (doc,) = [d for d in card.findings[0].docs if "JobFailed" in d.title]
    assert doc.url and doc.url.startswith("https://opsbot.example.internal/knowledge/") and "#jobfailed" in doc.url
