"""Round-2 phrasings (tests/data/logs_round2): grouping and sorting in many forms, abbreviated field
names, outcome words, Kubernetes-event semantics, on layouts the rules were not written for. Every
case must translate to the query's meaning with the rules alone; the pieces are checked one by one
below so a failure says which general rule broke."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from handlers.logs import translate
from integrations.opensearch.config import OpenSearchSettings
from integrations.opensearch.mapping import IndexSchema
from integrations.opensearch.question_parser import parse
from integrations.opensearch.value_words import object_kind_of, outcome_of, reason_of
from integrations.opensearch.vocabulary import name_parts, vocabulary
from tests.support.log_scoring import NOW, BenchCase, case_items, score
from tests.support.paths import TEST_DATA

ROUND2 = TEST_DATA / "logs_round2"
ROUND3 = TEST_DATA / "logs_round3"
# Round 3 adds three layouts; its other five are round 2's (the same as the benchmark's).
MAPPINGS: dict[str, dict[str, str]] = {
    **yaml.safe_load((ROUND2 / "mappings.yaml").read_text(encoding="utf-8")),
    **yaml.safe_load((ROUND3 / "mappings.yaml").read_text(encoding="utf-8"))}


def _cases(path: Path) -> list[BenchCase]:
    return [BenchCase.model_validate(item) for item in case_items(yaml.safe_load(path.read_text(encoding="utf-8")))]


CASES = [case for name in ("cases", "probe", "probe2", "probe3", "probe4") for case in _cases(ROUND2 / f"{name}.yaml")]
# Known misses, kept visible: "по ssh" would need ssh -> sshd, knowledge of programs beyond the mapping.
MISSES = {"q-ru-06"}


def test_the_set_is_large_varied_and_half_russian() -> None:
    assert len(CASES) >= 60
    russian = sum(case.lang == "ru" for case in CASES)
    assert 0.4 <= russian / len(CASES) <= 0.6
    assert {"grouping", "sorting", "values", "k8s_events"} <= {case.category for case in CASES}


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id, marks=[pytest.mark.xfail(strict=True)]
                                               if case.id in MISSES else []) for case in CASES])
def test_round2_case_translates_to_its_meaning(case: BenchCase) -> None:
    fields = MAPPINGS[case.mapping]
    result = translate(case.question, fields, OpenSearchSettings(), index=case.mapping, now=NOW)
    assert score(case, result.dsl, result.not_understood, fields, next(iter(fields))) == []


ROUND3_CASES = _cases(ROUND3 / "probe.yaml")
# Round 3 (a blind probe: 60% grouping, 25% sorting, 15% Kubernetes events) scored 0.37 before any
# change, 0.79 after. These still miss, kept visible (strict: a fix must remove its id here); most need
# a layout's own value spellings (error codes, outcomes like dead_lettered, service-account prefixes).
ROUND3_MISSES = {"r3-au-g02", "r3-au-g04", "r3-au-g08", "r3-au-s01", "r3-ev-e02", "r3-ev-e04", "r3-ev-e08",
                 "r3-ev-e09", "r3-ev-e15", "r3-gw-g02", "r3-gw-g03", "r3-gw-g08", "r3-gw-g10",
                 "r3-gw-s01", "r3-ng-g03", "r3-q-g01", "r3-q-g03", "r3-q-s01", "r3-q-s04", "r3-sy-g01"}


def test_round3_is_mostly_grouping_and_sorting_in_both_languages() -> None:
    assert len(ROUND3_CASES) >= 100
    assert {case.lang for case in ROUND3_CASES} == {"en", "ru"}
    grouping = sum(case.category == "grouping" for case in ROUND3_CASES)
    assert grouping / len(ROUND3_CASES) >= 0.5
    assert len(ROUND3_MISSES) / len(ROUND3_CASES) <= 0.3  # the rules keep at least 0.7 of it


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id, marks=[pytest.mark.xfail(strict=True)]
                                               if case.id in ROUND3_MISSES else []) for case in ROUND3_CASES])
def test_round3_case_translates_to_its_meaning(case: BenchCase) -> None:
    fields = MAPPINGS[case.mapping]
    result = translate(case.question, fields, OpenSearchSettings(), index=case.mapping, now=NOW)
    assert score(case, result.dsl, result.not_understood, fields, next(iter(fields))) == []


def ask(question: str, mapping: str) -> Any:
    return parse(question, now=NOW, schema=IndexSchema(pattern=mapping, fields=MAPPINGS[mapping]))


def test_abbreviated_field_names_are_spelled_out() -> None:
    assert name_parts("resp_sz") == ["response", "size"]
    assert name_parts("dur_ms") == ["duration", "ms"]
    vocab = vocabulary(MAPPINGS["shop"])
    kinds = {name: info.kind for name, info in vocab.fields.items()}
    assert kinds["dur_ms"] == "duration" and kinds["resp_sz"] == "bytes" and kinds["lvl"] == "level"
    assert kinds["usr"] == "user" and kinds["exc"] == "error" and kinds["svc"] == "service"


def test_a_duration_in_seconds_lands_in_a_millisecond_field_by_its_name() -> None:
    clause = ask("запросы дольше 2 секунд", "shop").clauses[0]
    assert (clause.field, clause.op, clause.gt) == ("dur_ms", "range", 2000)


def test_outcome_words_go_to_the_outcome_field_in_both_languages() -> None:
    assert outcome_of("declines") == "declined" and outcome_of("упавших") == "failed"
    assert outcome_of("timeouts") == "timeout" and outcome_of("random") is None
    clause = ask("отклонённые платежи", "payments").clauses[0]
    assert (clause.field, clause.value) == ("outcome", "declined")


def test_an_outcome_word_without_an_outcome_field_is_listed_not_placed() -> None:
    result = ask("declined requests", "k8s_events")
    assert not result.clauses and "declined" in result.not_understood


def test_a_verb_outcome_yields_to_a_named_one() -> None:
    result = ask("какой сервис чаще всего падает с ошибками", "payments")
    assert [(c.field, {str(v).lower() for v in c.values or [c.value]}) for c in result.clauses] == [
        ("outcome", {"error"})]


def test_kubernetes_object_words_name_the_involved_object() -> None:
    assert object_kind_of("nodes") == "Node" and object_kind_of("подов") == "Pod" and object_kind_of("под") is None
    result = ask("OOMKilling on node worker-7", "k8s_events")
    assert {(c.field, c.value) for c in result.clauses} == {
        ("reason", "OOMKilling"), ("involvedObject.kind", "Node"), ("involvedObject.name", "worker-7")}
    grouped = ask("ворнинги по нодам", "k8s_events")
    assert [a.field for a in grouped.aggregations] == ["involvedObject.name"]


def test_plain_english_reasons_need_their_capital() -> None:
    assert reason_of("Evicted") == "Evicted" and reason_of("evicted") is None and reason_of("backoff") == "BackOff"


@pytest.mark.parametrize(("question", "mapping", "field"), [
    ("queue with most failed jobs", "jobs", "queue"),
    ("top 3 merchants with most declined payments", "payments", "merchant_id"),
    ("топ-3 тенанта по упавшим задачам", "jobs", "tenant"),
    ("какой топик чаще всего падает", "consumer", "topic"),
])
def test_grouping_forms_make_one_terms_aggregation(question: str, mapping: str, field: str) -> None:
    assert [a.field for a in ask(question, mapping).aggregations] == [field]


@pytest.mark.parametrize(("question", "mapping", "field"), [
    ("jobs with the most attempts first", "jobs", "attempts"),
    ("задачи с наибольшим числом попыток", "jobs", "attempts"),
    ("крупнейшие платежи", "payments", "amount"),
    ("самый большой лаг сверху", "consumer", "lag"),
])
def test_sorting_forms_sort_on_the_measure(question: str, mapping: str, field: str) -> None:
    result = ask(question, mapping)
    assert (result.sort_field, result.sort_order, result.aggregations) == (field, "desc", [])


def test_a_verb_before_a_comparison_is_not_a_value() -> None:
    result = ask("logins taking more than 2 s", "auth")
    assert [(c.field, c.gt) for c in result.clauses] == [("elapsed_ms", 2000)]


def test_bounds_read_apart_are_one_range_and_a_bare_unit_is_one() -> None:
    amount = ask("платежи на сумму от 100 до 500 EUR", "payments").clauses[0]
    assert (amount.field, amount.gte, amount.lte) == ("amount", 100, 500)
    run = ask("задачи дольше часа", "jobs").clauses[0]
    assert (run.field, run.gt) == ("run_secs", 3600)


def test_bots_are_a_user_agent_substring() -> None:
    clause = ask("denied logins from bots", "auth").clauses[-1]
    assert (clause.field, clause.op, clause.value) == ("ua", "wildcard", "*bot*")


def test_a_status_code_is_no_environment() -> None:
    result = ask("split per env: 5xx responses", "shop")
    assert [(c.field, c.gte, c.lte) for c in result.clauses] == [("http.code", 500, 599)]
    assert [a.field for a in result.aggregations] == ["env"]


def test_camel_case_and_plural_acronyms_split_into_parts() -> None:
    assert name_parts("sourceIPs") == ["source", "ip"]
    assert name_parts("objectRef.resource") == ["object", "ref", "resource"]
    assert name_parts("requestReceivedTimestamp") == ["request", "received", "timestamp"]


@pytest.mark.parametrize(("question", "field", "size"), [
    ("у какого воркера больше всего nacked", "worker", 10),  # "какого": any case of "какой"
    ("под какими хендлерами чаще всего 3 и более ретраев", "handler", 10),
    ("nacked per handler, top 3", "handler", 3),  # "top N" after the grouping sizes it
])
def test_a_grouped_field_takes_no_value(question: str, field: str, size: int) -> None:
    result = ask(question, "queue_worker")
    assert [(a.field, a.size) for a in result.aggregations] == [(field, size)]
    assert field not in {c.field for c in result.clauses}


@pytest.mark.parametrize(("question", "field", "order"), [
    ("deliveries by lag", "lag", "desc"),  # a measure after "by" is an order, not a grouping
    ("сообщения по размеру payload по возрастанию", "payload_bytes", "asc"),
    ("сообщения, которые ретраились чаще всего", "retries", "desc"),
])
def test_a_measure_in_a_grouping_construction_sorts(question: str, field: str, order: str) -> None:
    result = ask(question, "queue_worker")
    assert (result.sort_field, result.sort_order, result.aggregations) == (field, order, [])


def test_the_superlative_takes_the_measure_the_next_word_names() -> None:
    assert ask("slowest upstream answers", "api_gw").sort_field == "upstream_ms"
    assert ask("largest requests", "api_gw").sort_field == "bytes_in"
    assert ask("largest responses", "api_gw").sort_field == "bytes_out"


def test_time_order_words_order_the_hits() -> None:
    assert ask("ошибки на node-1, по возрастанию времени", "syslog").sort == "oldest"
    assert ask("события, самые старые сверху", "k8s_events").sort == "oldest"


def test_who_groups_by_the_user_and_audit_verbs_and_resources_are_values() -> None:
    result = ask("who deleted secrets in billing", "k8s_audit")
    assert [a.field for a in result.aggregations] == ["user.username"]
    assert {(c.field, c.value) for c in result.clauses} == {
        ("verb", "delete"), ("objectRef.resource", "secrets"), ("objectRef.namespace", "billing")}
