"""/logs with an LLM that passed its gate: one call translates the whole question into the question
model; the answer is merged only when it validates and keeps what the rules understood, and the card
says which words each part came from. A fake LLM answers; every broken clause is refused."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest

from handlers.logs import translate
from integrations.opensearch.config import OpenSearchSettings
from integrations.opensearch.mapping import fields_from_mapping
from tests.support.log_cases import MAPPINGS, NOW, CannedLLM

FIELDS = {name: fields_from_mapping({"i": {"mappings": {"properties": props}}}) for name, props in MAPPINGS.items()}


def clause(field: str, op: str = "term", value: str = "", **more: Any) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value, "values": [], "gte": "", "gt": "", "lte": "", "lt": "",
            "exclude": False, "group": 0, "words": "", **more}


def answer(*clauses: dict[str, Any], aggs: list[dict[str, Any]] | None = None, sort: str = "") -> str:
    return json.dumps({"clauses": list(clauses), "aggs": aggs or [], "sort": {"field": sort, "order": "desc"},
                       "not_understood": [], "understood": "the whole question"})


def ask(question: str, mapping: str, llm_answer: str) -> Any:
    llm = CannedLLM(llm_answer)
    result = translate(question, FIELDS[mapping], OpenSearchSettings(), index=f"{mapping}-*", now=NOW,
                       llm=cast(Any, llm))
    return result, llm


def test_the_whole_question_merges_with_what_the_rules_understood() -> None:
    question = "failed password attempts from 203.0.113.7 grouped per host in the last 12 hours"
    result, llm = ask(question, "syslog", answer(
        clause("source.ip", value="203.0.113.7", words="from 203.0.113.7"),  # the rules' clause, repeated
        clause("message", "match_phrase", "failed password", words="failed password attempts"),
        aggs=[{"field": "syslog.hostname", "size": 10}]))
    assert llm.calls == 1 and result.used_llm
    query = result.dsl["query"]["bool"]
    assert {"term": {"source.ip": "203.0.113.7"}} in query["filter"]
    assert {"match_phrase": {"message": "failed password"}} in query["filter"]
    assert sum("source.ip" in json.dumps(c) for c in query["filter"]) == 1  # merged, not doubled
    assert any('(LLM, from "failed password attempts")' in part for part in result.understood)
    assert result.not_understood == []


def test_alternatives_become_one_any_of_clause() -> None:
    result, _ = ask("sshd lines with failed or invalid logins on db-1.example.internal today", "syslog", answer(
        clause("message", "match_phrase", "Failed password", group=1),
        clause("message", "match_phrase", "Invalid user", group=1)))
    should = [c for c in result.dsl["query"]["bool"]["filter"] if "bool" in c]
    assert should == [{"bool": {"should": [{"match_phrase": {"message": "Failed password"}},
                                           {"match_phrase": {"message": "Invalid user"}}],
                                "minimum_should_match": 1}}]


@pytest.mark.parametrize("bad", [
    clause("user.password", value="x"),  # not in the mapping
    clause("message", value="x"),  # term on a text field
    clause("source.ip", "range", gte="a", lte="z"),  # a range of words on an ip field
    clause("source.ip", value="not-an-ip"),
    clause("source.ip", value="203.0.113.7", exclude=True),  # turns around what the rules understood
    clause("source.ip", value="198.51.100.1"),  # replaces it
])
def test_a_broken_or_contrary_answer_is_refused_and_the_rules_query_kept(bad: dict[str, Any]) -> None:
    question = "failed password attempts from 203.0.113.7 in the last 12 hours"
    good = clause("message", "match_phrase", "failed password")
    without = translate(question, FIELDS["syslog"], OpenSearchSettings(), index="syslog-*", now=NOW)
    result, _ = ask(question, "syslog", answer(good, bad))
    assert not result.used_llm and result.dsl == without.dsl
    assert result.llm_note.startswith("LLM answer rejected:")
    assert {"failed", "password", "attempts"} <= set(result.not_understood)  # still listed on the card


# (question, mapping, a correct whole-question answer's clauses): every one is kept, and each with one
# broken clause added is refused: the validation keeps 100% of valid clauses and 0% of invalid ones.
CORRECT = [
    ("failed password attempts from 203.0.113.7 last 12 hours", "syslog",
     [clause("message", "match_phrase", "failed password"), clause("source.ip", value="203.0.113.7")]),
    ("slow uploads over 2 seconds to api.example.com", "nginx",
     [clause("event.duration", "range", gt="2000000000"), clause("url.domain", value="api.example.com"),
      clause("http.request.method", value="POST", words="uploads")]),
    ("warnings from the sidecar of pod cart-1 in namespace shop", "k8s",
     [clause("level", "terms", values=["warn", "warning"]), clause("kubernetes.pod_name", value="cart-1"),
      clause("kubernetes.namespace_name", value="shop"), clause("kubernetes.container_name", "prefix", "istio")]),
    ("nginx traffic except health checks and bots", "nginx",
     [clause("service.name", value="nginx"), clause("url.path", value="/healthz", exclude=True),
      clause("user_agent.original", "wildcard", "*bot*", exclude=True)]),
]


@pytest.mark.parametrize(("question", "mapping", "clauses"), CORRECT, ids=[c[0][:30] for c in CORRECT])
def test_valid_clauses_are_all_kept_and_invalid_ones_never(question: str, mapping: str,
                                                           clauses: list[dict[str, Any]]) -> None:
    result, _ = ask(question, mapping, answer(*clauses))
    sent = json.dumps(result.dsl)
    assert result.used_llm and all(json.dumps(c["field"]) in sent for c in clauses)
    for bad in (clause("no.such.field", value="x"), clause(clauses[0]["field"], "range", gte="a", lte="z")):
        refused, _ = ask(question, mapping, answer(*clauses, bad))
        assert not refused.used_llm and "no.such.field" not in json.dumps(refused.dsl)
        assert refused.llm_note.startswith("LLM answer rejected:")


def test_an_identifier_matched_as_text_is_asked_about_and_the_llm_placement_wins() -> None:
    question = "5xx for partner-acme-7 today"  # no field is named for the identifier: the rules guess the message
    result, llm = ask(question, "nginx", answer(
        clause("service.name", value="partner-acme-7", words="partner-acme-7")))
    assert llm.calls == 1 and result.used_llm
    text = json.dumps(result.dsl["query"])
    assert '{"term": {"service.name": "partner-acme-7"}}' in text and "match_phrase" not in text
    assert not any("matched as text" in line for line in result.understood)


def test_an_identifier_the_llm_leaves_alone_stays_matched_as_text() -> None:
    result, llm = ask("5xx for partner-acme-7 today", "nginx", answer(
        clause("http.response.status_code", "range", gte="500", lte="599", words="5xx")))
    assert llm.calls == 1
    assert {"match_phrase": {"message": "partner-acme-7"}} in result.dsl["query"]["bool"]["filter"]
    assert any("matched as text" in line for line in result.understood)


JOBS = {"time": "date", "durMs": "long", "waitMs": "long", "queueName": "keyword", "msg": "text"}


def _jobs(question: str, llm_answer: str) -> Any:
    llm = CannedLLM(llm_answer)
    return translate(question, JOBS, OpenSearchSettings(), index="jobs-*", now=NOW, llm=cast(Any, llm)), llm


def test_a_threshold_on_the_generic_of_several_measures_is_a_guess_the_llm_may_move() -> None:
    question = "jobs stuck more than 30s before they started"  # which of the two measures: not named
    result, llm = _jobs(question, answer(clause("waitMs", "range", gt="30000", words="more than 30s")))
    assert llm.calls == 1 and result.used_llm
    text = json.dumps(result.dsl["query"])
    assert '"waitMs": {"gt": 30000}' in text and "durMs" not in text
    assert not any(line.startswith("durMs") for line in result.understood)


def test_a_guessed_measure_stays_where_the_llm_does_not_place_its_value() -> None:
    result, _ = _jobs("jobs stuck more than 30s before they started", answer(clause("msg", "match", value="stuck")))
    assert '"durMs": {"gt": 30000}' in json.dumps(result.dsl["query"])


def test_a_guess_counts_as_placed_only_by_a_value_or_a_range_bound_of_the_llms_query() -> None:
    from handlers.logs import _placed
    from integrations.opensearch.question import FieldClause

    query = {"bool": {"filter": [{"range": {"waitMs": {"gt": 30000}}}, {"term": {"pod": "cart-1"}}],
                      "must": [{"match": {"message": {"query": "timeout", "boost": 10}}}]}}
    assert _placed(FieldClause(field="durMs", op="range", gt=30000), query)  # placed on another field
    assert not _placed(FieldClause(field="durMs", op="range", gt=10), query)  # a boost of 10 is no bound
    assert _placed(FieldClause(field="app", op="term", value="cart-1"), query)
    assert not _placed(FieldClause(field="app", op="term", value="cart"), query)
