"""A question's context clauses count less than its symptom; a misspelt word is read as the word it misses."""

from __future__ import annotations

from core.typos import one_typo_apart as near_miss
from knowledge.doc_rank import rank_documents, ruled_out, vocabulary
from knowledge.query_terms import CONTEXT_WEIGHT, clauses, reassured_groups, spelled, weighted_groups
from knowledge.retrieval import SearchResult


def _weights(question: str) -> dict[str, float]:
    return {clause.strip(): weight for clause, weight in clauses(question)}


def test_subordinate_and_reassuring_clauses_are_context() -> None:
    assert _weights("pods sit in Pending after we scaled up") == {"pods sit in Pending": 1.0,
                                                                   "after we scaled up": CONTEXT_WEIGHT}
    assert _weights("killed for memory though the node has memory free")["though the node has memory free"] \
        == CONTEXT_WEIGHT
    assert _weights("p99 is high but memory looks fine") == {"p99 is high": 1.0, "memory looks fine": CONTEXT_WEIGHT}
    assert _weights("под падает после выкатки")["после выкатки"] == CONTEXT_WEIGHT


def test_before_but_is_what_works_when_the_complaint_follows() -> None:
    assert _weights("alerts fire in the UI but nothing reaches the pager") == {
        "alerts fire in the UI": CONTEXT_WEIGHT, "nothing reaches the pager": 1.0}
    assert all(w == 1.0 for _, w in clauses("what should I check when a node goes NotReady?"))


def test_context_words_weigh_less_in_the_document_ranking() -> None:
    def doc(source: str, title: str) -> SearchResult:
        return SearchResult(source=source, title=title, section="", score=0.03, text="", doc_type="runbook")

    scaling, pending = doc("hpa.md", "autoscaler cannot scale"), doc("workload.md", "pods pending")
    question = "pods pending after we scaled the autoscaler"
    weighted = weighted_groups(question)
    groups, weights = [g for g, _ in weighted], [w for _, w in weighted]
    assert rank_documents(groups, [scaling, pending], weights=weights)[0].source == "workload.md"


def test_a_near_miss_is_one_edit_or_one_swap() -> None:
    assert near_miss("wirte", "write") and near_miss("debgu", "debug") and near_miss("scrap", "scrape")
    assert not near_miss("write", "write") and not near_miss("abcde", "edcba")


def test_an_unknown_word_is_spelt_as_the_one_known_word_it_misses() -> None:
    known = vocabulary([SearchResult(source="prometheus.md", title="Prometheus remote write", section="",
                                     score=0.0, text="Remote write falls behind.", doc_type="runbook")])
    assert spelled("remote wirte falling behind", known) == "remote write falling behind"
    assert spelled("remote writes", known) == "remote writes"  # known by its stem
    assert spelled("wrte", known) == "wrte"  # too short to guess
    assert spelled("thanos", known) == "thanos"  # no near word: as written


def test_not_yet_and_a_measure_against_normal_split_no_clause() -> None:
    assert clauses("fail TLS with 'x509: certificate is not yet valid'") == [
        ("fail TLS with 'x509: certificate is not yet valid'", 1.0)]
    assert [w for _, w in clauses("avg cpu is low yet grafana shows throttling")] == [CONTEXT_WEIGHT, 1.0]
    assert clauses("hpa stuck at 4 replicas and traffic is like 3x normal")[0][1] == 1.0
    assert [w for _, w in clauses("под не пишет, при этом df на ноде 40%")] == [1.0, CONTEXT_WEIGHT]


def test_a_namespace_name_is_no_typo() -> None:
    assert spelled("postgres in ns billing is full, the billing", {"filling"}) == \
        "postgres in ns billing is full, the filling"


def test_a_thing_said_to_be_fine_is_ruled_out() -> None:
    memory = SearchResult(source="redis-memory.md", title="Redis slow, memory full", section="", score=1.0, text="",
                          doc_type="runbook")
    latency = memory.model_copy(update={"source": "redis-latency.md", "title": "Redis slow"})
    others = [memory.model_copy(update={"source": f"other-{i}.md", "title": f"Other {i}"}) for i in range(6)]
    question = "redis p99 jumps every few minutes, but memory looks fine"
    weighted = weighted_groups(question)
    groups, weights = [g for g, _ in weighted], [w for _, w in weighted]
    pool = [memory, latency, *others]
    assert ruled_out(reassured_groups(question), groups, weights, pool) == [1.0] + [0.0] * 7
    # what the symptom itself names is never ruled out; nor a word most candidates' titles share
    named = weighted_groups("redis memory is full, but memory looks fine")
    assert ruled_out(reassured_groups("but memory looks fine"), [g for g, _ in named], [w for _, w in named],
                     pool) == [0.0] * 8
    assert ruled_out(reassured_groups("but redis looks fine"), groups, weights, pool) == [0.0] * 8
    assert reassured_groups("под не пишет, при этом df на ноде показывает всего 40% занято")
    assert not reassured_groups("hpa stuck, traffic is 3x normal")


def test_the_askers_guess_is_context() -> None:
    assert clauses("в dmesg куча ошибок. это сеть опять моргнула?") == [
        ("в dmesg куча ошибок", 1.0), (" это сеть опять моргнула", CONTEXT_WEIGHT)]
    assert clauses("p99 jumps every few minutes - could it be the network?")[-1] == (
        "could it be the network", CONTEXT_WEIGHT)
    assert clauses("это pvc на 20Gi, что делать")[0] == ("это pvc на 20Gi", 1.0)  # a description, not a guess
