"""Action-first /ask answers: which questions ask what to do, which sections say it, and the framing."""

from __future__ import annotations

from typing import cast

import pytest

from handlers.ask import compose_action
from handlers.ask_actions import action_sections, asks_for_action, lead, quote, topic_words
from knowledge.retrieval import Retriever, SearchResult

FIRST_CHECKS = "- `kubectl -n NAMESPACE describe pod POD`: last state.\n- `kubectl -n NAMESPACE logs POD --previous`."


def _section(section: str, text: str) -> SearchResult:
    return SearchResult(source="pod-crash-looping.md", title="Pod crash looping", section=section, score=1.0,
                        text=text, doc_type="runbook")


@pytest.mark.parametrize("question", [
    "How do I debug a pod in CrashLoopBackOff?", "what should I check when a node is NotReady",
    "where do I start with a full disk", "troubleshooting etcd leader changes", "how to fix ceph pgs",
    "Что делать, если под постоянно перезапускается?", "как проверить репликацию redis",
    "с чего начать, если OSD упал", "почини мне alertmanager",
    # from grammar, not listed phrasings: interrogative + the reader + a verb; interrogative + infinitive
    "what should we look at first", "a job keeps failing, how can I find out why", "why is the pod pending",
    "нода отвалилась — куда смотреть?", "osd упал, как его поднять?", "что в первую очередь проверить?",
    "как понять, почему под перезапускается", "почему редис тормозит", "подскажите по etcd",
    # asking what comes next, or what is going on (a diagnosis, as "why" is)
    "the node rebooted and half the pods are gone. what now?", "ok, certs renewed, what next",
    "whats wrong with etcd", "what's going on with the ingress", "бэкап не прошёл, что теперь?",
    "что происходит с кластером",
    # a report of trouble with no question form wants what to do too
    "redis-01 and redis-02 both report role:master after the blip",
    "etcdserver: mvcc: database space exceeded on every apply ??",
    "when I run kubectl apply it fails with x509: certificate signed by unknown authority",
    "which pod eats the memory on node-3", "какой-то под на ноде 4 падает с OOMKilled",
    "когда делаю apply, всё падает с ошибкой", "ceph: 12 pgs incomplete since stor-05 died",
])
def test_questions_that_ask_what_to_do(question: str) -> None:
    assert asks_for_action(question)


@pytest.mark.parametrize("question", [
    "What does mem_fragmentation_ratio mean?", "which eviction policies does Redis have",
    "что означает HEALTH_WARN", "когда был последний инцидент с ceph",
    "how is alertmanager configured", "как работает репликация redis", "как устроена память redis",
    "что есть в кластере",  # "есть", "память": not infinitives
    "what is a PodDisruptionBudget?", "explain the ceph pg states", "what's the difference between RDB and AOF",
    "how does the HPA work", "when was the last etcd defrag", "что такое backfill в ceph",
    "какие политики вытеснения бывают в redis", "зачем нужен кворум мониторов",
])
def test_questions_that_ask_what_something_is(question: str) -> None:
    assert not asks_for_action(question)


def test_the_topic_is_what_is_left_of_the_question() -> None:
    assert topic_words("Что делать, если redis недоступен?") == ", если redis недоступен?"
    assert topic_words("How do I debug a pod in CrashLoopBackOff?") == "a pod in CrashLoopBackOff?"
    assert topic_words("что в первую очередь проверить, если упал etcd") == ", если упал etcd"
    # a verb that is the subject of the question stays
    assert topic_words("how do I restart an OSD") == "restart an OSD"
    assert topic_words("как перезапустить OSD") == "перезапустить OSD"


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


class _Sections:
    """A retriever whose document has many sections, the first checks far down the ranking."""

    def __init__(self, sections: list[SearchResult]) -> None:
        self.sections = sections

    def sections_of(self, result: SearchResult, query: str, k: int = 8) -> list[SearchResult]:
        return self.sections[:k]


def test_the_first_checks_are_found_among_all_sections_of_a_long_runbook() -> None:
    many = [_section(f"Code{i}: a cause", "text") for i in range(12)]
    checks = _section("First checks", FIRST_CHECKS)
    fix = _section("Fixes (changes a human runs)", "- `kubectl rollout undo deployment/x`")
    retriever = cast("Retriever", _Sections([*many, checks, fix]))
    assert action_sections(retriever, many[0], "под висит в pending, куда смотреть?") == [checks, fix]


def test_whats_the_first_thing_to_check_asks_for_action() -> None:
    from handlers.ask_actions import asks_for_action, topic_words

    question = "remote write is 40 min behind, whats the first thing to check"
    assert asks_for_action(question)
    assert topic_words(question) == "remote write is 40 min behind, the"
