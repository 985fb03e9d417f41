"""Feedback: buttons on the cards that take them, the tally line, verdicts as evaluation cases, and
the post-ranking adjustment (demote on 👎, promote on 👍, per alert)."""

from __future__ import annotations

from datetime import UTC, datetime

from core.cards import FEEDBACK_DOWN, FEEDBACK_UP, FEEDBACK_WRONG, Button, Card, CardField, CardKind, CardStatus
from core.models import Citation, Finding
from handlers.feedback import evaluation_case, rerank, section_key, tally_line, verdict_for, with_feedback
from knowledge.retrieval import SearchResult


def card(kind: CardKind = CardKind.triage, status: CardStatus = CardStatus.firing) -> Card:
    return Card(kind=kind, status=status, title="Pod shop/checkout crash looping", footer="triaged",
                fields=[CardField(name="alert", value="KubePodCrashLooping")],
                findings=[Finding(code="OOMKilled", title="checkout was OOM-killed")],
                citations=[Citation(source="runbooks/pod.md", title="Pod", section="First checks")],
                buttons=[Button(action="draft_postmortem", label="Draft")])


def test_buttons_on_triage_diagnosis_and_answer_cards_only() -> None:
    triage = with_feedback(card(), "k1", {"up": 2, "down": 1})
    assert [b.action for b in triage.buttons] == ["draft_postmortem", FEEDBACK_UP, FEEDBACK_DOWN, FEEDBACK_WRONG]
    assert {b.value for b in triage.buttons[1:]} == {"k1"}
    assert triage.footer == "triaged · 2 found this helpful, 1 did not"
    answer = with_feedback(card(CardKind.answer, CardStatus.done), "k2", {})
    assert [b.action for b in answer.buttons][1:] == [FEEDBACK_UP, FEEDBACK_DOWN]  # "wrong cause" is for triage
    assert with_feedback(card(CardKind.help, CardStatus.done), "k", {}).buttons == card().buttons
    assert with_feedback(card(status=CardStatus.working), "k", {}) == card(status=CardStatus.working)
    assert with_feedback(triage, "k1", {"up": 3}).buttons == triage.buttons  # redelivery: no duplicate buttons


def test_tally_line() -> None:
    assert tally_line({}) == ""
    assert tally_line({"wrong_cause": 1}) == "1 said the cause is wrong"


def test_verdict_as_an_evaluation_case() -> None:
    verdict = verdict_for(card(), "wrong_cause", card_key="k1", platform="slack", channel="C1", user="alice",
                          user_id="U1", text="it was the node", now=datetime(2026, 12, 1, tzinfo=UTC))
    case = evaluation_case(verdict)
    assert case["alert"] == "KubePodCrashLooping" and case["verdict"] == "wrong_cause"
    assert case["text"] == "it was the node"
    assert case["card"] == {"kind": "triage", "title": "Pod shop/checkout crash looping",
                            "said": "finding OOMKilled: checkout was OOM-killed",
                            "cited": ["runbooks/pod.md#First checks"]}


def results(*names: str) -> list[SearchResult]:
    return [SearchResult(source=f"{n}.md", title=n, section="s", score=1.0, text="", doc_type="runbook")
            for n in names]


def test_rerank_demotes_and_promotes_in_steps() -> None:
    ranked = results("a", "b", "c", "d")
    down = section_key("a.md", "s")
    assert [r.title for r in rerank(ranked, {down: -2}, 3)] == ["a", "b", "c"]  # two votes never reorder
    assert [r.title for r in rerank(ranked, {down: -3}, 3)] == ["b", "a", "c"]
    assert [r.title for r in rerank(ranked, {down: -10}, 3)] == ["b", "c", "d"]  # ten: four places, off the card
    assert [r.title for r in rerank(ranked, {section_key("d.md", "s"): 8}, 3)] == ["d", "a", "b"]
    assert [r.title for r in rerank(ranked, {}, 3)] == ["a", "b", "c"]


def test_a_verdict_keeps_no_secret_the_person_or_the_card_had() -> None:
    leaky = card().model_copy(update={"summary": "DB_PASSWORD=hunter2-very-secret in the pod env"})
    verdict = verdict_for(leaky, "wrong_cause", card_key="k1", platform="slack", channel="C1", user="alice",
                          text="it was the token ghp_abcdefghijklmnopqrstuvwxyz0123456789 that expired")
    assert "hunter2-very-secret" not in verdict.card_said
    assert "ghp_abcdefghijklmnopqrstuvwxyz0123456789" not in verdict.text and "expired" in verdict.text
