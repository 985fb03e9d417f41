"""Action-first /ask answers: which questions ask what to do, which sections say it, and the framing."""

from __future__ import annotations

import pytest

from handlers.ask import compose_action
from handlers.ask_actions import asks_for_action, lead, quote, topic_words
from knowledge.retrieval import SearchResult

FIRST_CHECKS = "- `kubectl -n NAMESPACE describe pod POD`: last state.\n- `kubectl -n NAMESPACE logs POD --previous`."


def _section(section: str, text: str) -> SearchResult:
    return SearchResult(source="pod-crash-looping.md", title="Pod crash looping", section=section, score=1.0,
                        text=text, doc_type="runbook")


@pytest.mark.parametrize("question", [
    "How do I debug a pod in CrashLoopBackOff?", "what should I check when a node is NotReady",
    "where do I start with a full disk", "troubleshooting etcd leader changes", "how to fix ceph pgs",
    "Что делать, если под постоянно перезапускается?", "как проверить репликацию redis",
    "с чего начать, если OSD упал", "почини мне alertmanager",
])
def test_questions_that_ask_what_to_do(question: str) -> None:
    assert asks_for_action(question)


@pytest.mark.parametrize("question", [
    "What does mem_fragmentation_ratio mean?", "which eviction policies does Redis have",
    "что означает HEALTH_WARN", "когда был последний инцидент с ceph",
])
def test_questions_that_ask_what_something_is(question: str) -> None:
    assert not asks_for_action(question)


def test_the_topic_is_what_is_left_of_the_question() -> None:
    assert topic_words("Что делать, если redis недоступен?") == ", если redis недоступен?"


def test_a_section_is_quoted_as_written() -> None:
    text = "## First checks\n" + FIRST_CHECKS
    assert quote(text) == FIRST_CHECKS
    long = "\n".join(f"- `kubectl get pods -n ns{i}`: line {i}" for i in range(100))
    cut = quote(long, 200)
    assert cut.endswith("\n…") and all(line.startswith("- ") for line in cut.splitlines()[:-1])


def test_checks_come_first_then_the_fix_then_context_in_the_question_language() -> None:
    checks = _section("First checks", FIRST_CHECKS)
    fix = _section("Fixes (changes a human runs)", "- Roll back: `kubectl rollout undo deployment/x`.")
    context = _section("What it means", "The container exits and is restarted.")
    english = compose_action("How do I debug a crash loop?", [checks, fix], [context])
    assert english.startswith("First checks (Pod crash looping › First checks):\n- `kubectl -n NAMESPACE describe")
    assert english.index("Then, to fix it") < english.index("Context:\n• Pod crash looping › What it means")
    russian = lead("Что делать, если под падает?", [checks, fix])
    assert russian.startswith("Что проверить в первую очередь (Pod crash looping › First checks):")
    assert "Что делать дальше (Pod crash looping › Fixes" in russian
    assert "`kubectl -n NAMESPACE logs POD --previous`" in russian  # commands stay as they are
