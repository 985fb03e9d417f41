"""Round-4 /logs cases (tests/data/logs_round4): grouping in every form, values only the data knows,
Kubernetes events in a second exporter's layout and short in-house names, Russian inflections and
numbers with Russian units. The dev half must translate to its meaning with the rules alone; the test
half was written with it, before the rules changed, and measured once (its misses stay visible as
strict xfails). The general rules behind them are checked one by one below."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from handlers.logs import translate
from integrations.opensearch.config import OpenSearchSettings
from integrations.opensearch.question_tokens import Token, tokenize
from integrations.opensearch.typed_values import spoken_number
from integrations.opensearch.value_words import event_type_field
from integrations.opensearch.vocabulary import stem, vocabulary
from tests.support.log_rules import facts, parse_on
from tests.support.log_scoring import NOW, BenchCase, case_items, score
from tests.support.paths import TEST_DATA

ROUND4 = TEST_DATA / "logs_round4"
MAPPINGS: dict[str, dict[str, str]] = {
    **yaml.safe_load((TEST_DATA / "logs_round2" / "mappings.yaml").read_text(encoding="utf-8")),
    **yaml.safe_load((ROUND4 / "mappings.yaml").read_text(encoding="utf-8"))}


def _cases(path: Path) -> list[BenchCase]:
    return [BenchCase.model_validate(item) for item in case_items(yaml.safe_load(path.read_text(encoding="utf-8")))]


DEV = _cases(ROUND4 / "dev.yaml")
TEST = _cases(ROUND4 / "test.yaml")
# The test half's misses at its one measurement (strict: a fix must remove its id here; never tuned on).
TEST_MISSES = {"r4-g-t03"}


def _translates(case: BenchCase) -> list[str]:
    fields = MAPPINGS[case.mapping]
    result = translate(case.question, fields, OpenSearchSettings(), index=case.mapping, now=NOW)
    return score(case, result.dsl, result.not_understood, fields, next(iter(fields)))


def test_the_set_has_four_categories_in_both_languages_split_before_tuning() -> None:
    categories = {"grouping", "free_values", "short_names", "ru_units"}
    for half, per_category in ((DEV, 30), (TEST, 10)):
        assert {case.category for case in half} == categories
        assert all(sum(case.category == c for case in half) == per_category for c in categories)
        assert {case.lang for case in half} == {"en", "ru"}
    assert not {case.id for case in DEV} & {case.id for case in TEST}


@pytest.mark.parametrize("case", DEV, ids=lambda case: case.id)
def test_round4_dev_case_translates_to_its_meaning(case: BenchCase) -> None:
    assert _translates(case) == []


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id, marks=[pytest.mark.xfail(strict=True)]
                                               if case.id in TEST_MISSES else []) for case in TEST])
def test_round4_test_case_translates_to_its_meaning(case: BenchCase) -> None:
    assert _translates(case) == []


def ask(question: str, mapping: str) -> Any:
    return parse_on(question, mapping, MAPPINGS[mapping])


@pytest.mark.parametrize(("question", "mapping", "fields"), [
    ("errors grouped per namespace", "k8s_app", ["kubernetes.namespace_name"]),
    ("сколько ошибок у каждого пода", "k8s_app", ["kubernetes.pod_name"]),  # "каждый" in any case
    ("сколько сообщений от каждой программы", "syslog", ["process.name"]),
    ("per-host 5xx counts", "nginx", ["host.name"]),  # "per-X" is "per X"
    ("each pod's error count", "k8s_app", ["kubernetes.pod_name"]),  # a possessive names the field
    ("разбей ошибки по нодам", "k8s_app", ["kubernetes.host"]),  # the verb announces the grouping
    ("most active pods", "k8s_app", ["kubernetes.pod_name"]),
    ("pod with the highest number of errors", "k8s_app", ["kubernetes.pod_name"]),
    ("классы ошибок по очередям", "queue_worker", ["err_class", "queue"]),  # a bare field before "по" counts too
    ("failed logins per mfa method", "auth", ["mfa_method"]),  # ... unless it is a value's noun
])
def test_grouping_forms(question: str, mapping: str, fields: list[str]) -> None:
    assert [a.field for a in ask(question, mapping).aggregations] == fields


def test_top_takes_a_number_in_words_and_a_colon_ends_a_grouping() -> None:
    assert [(a.field, a.size) for a in ask("top ten paths with 404", "nginx").aggregations] == [("url.path", 10)]
    result = ask("split by container: stderr", "k8s_app")
    assert [a.field for a in result.aggregations] == ["kubernetes.container_name"]
    assert {(c.field, c.value) for c in result.clauses} == {("stream", "stderr")}


def test_an_identifier_no_field_is_named_for_is_matched_as_text_and_said_so() -> None:
    result = ask("anything about order-55123 in namespace shop", "k8s_app")
    assert ("message", "phrase", "order-55123", False, ()) in facts(result)
    assert any("order-55123" in line and "matched as text" in line for line in result.understood)
    excluded = ask("without bot-scan-7", "nginx")
    assert facts(excluded) == {("message", "phrase", "bot-scan-7", True, ())}


def test_plain_words_patterns_and_dates_are_not_matched_as_text() -> None:
    assert not ask("what went wrong with the frobnicator", "k8s_app").clauses
    assert not ask("requests for edge-*", "syslog").clauses  # a pattern: no field to take it, listed
    assert all(c.field != "message" for c in ask("ошибки 29.11.2026", "k8s_app").clauses)


def test_a_value_goes_to_the_field_named_without_one_or_to_its_identity_field() -> None:
    result = ask("критические на серверах, кроме web-1", "syslog")
    assert ("host.hostname", "term", "web-1", True, ()) in facts(result)
    assert facts(ask("events for object web-6c9f-2kq", "k8s_events")) == {
        ("involvedObject.name", "term", "web-6c9f-2kq", False, ())}


def test_an_identifier_named_by_its_last_part_and_in_a_queue() -> None:
    assert ("consumer", "term", "billing-consumer", False, ()) in facts(ask("lag on billing-consumer", "consumer"))
    assert ("queue", "term", "invoices.created", False, ()) in facts(ask("failures in invoices.created",
                                                                         "queue_worker"))


def test_an_event_layouts_type_field_is_found_beside_its_reason() -> None:
    assert event_type_field(vocabulary(MAPPINGS["mb_events"])).name == "kubernetes.event.type"  # type: ignore[union-attr]
    assert facts(ask("warning events last hour", "mb_events")) == {
        ("kubernetes.event.type", "term", "Warning", False, ())}
    assert facts(ask("ненормальные события", "k8s_events")) == {("type", "term", "Normal", True, ())}


def test_abbreviations_are_the_same_word_both_ways() -> None:
    assert stem("usr") == stem("user") and stem("svc") == stem("service") and stem("err") != stem("error")
    assert facts(ask("usr bob", "auth")) == {("login", "term", "bob", False, ())}  # `login` is of kind user
    assert facts(ask("namespace ledger", "ledger")) == {("ns", "term", "ledger", False, ())}
    assert [a.field for a in ask("exception class OptimisticLockException by operation", "ledger").aggregations] \
        == ["op"]  # `cls`: class, `op`: operation


def test_a_level_word_inside_a_field_name_names_the_field() -> None:
    assert facts(ask("error class SocketTimeoutException", "payments")) == {
        ("exception.class", "term", "SocketTimeoutException", False, ())}
    assert [a.field for a in ask("какой класс ошибки больше всего у хендлера InvoiceMailer?",
                                 "queue_worker").aggregations] == ["err_class"]
    assert ask("err logs", "k8s_app").clauses[0].field == "level"  # alone it stays a level


def _tokens(text: str) -> list[Token]:
    return tokenize(text)


def test_numbers_in_words_halves_and_russian_suffixes() -> None:
    assert spoken_number(_tokens("трёх секунд"), 0)[0].number == 3.0  # type: ignore[index]
    assert spoken_number(_tokens("полсекунды"), 0)[0].number == 0.5  # type: ignore[index]
    assert spoken_number(_tokens("half a second"), 0)[0].number == 0.5  # type: ignore[index]
    assert spoken_number(_tokens("пятисотки"), 0) is None
    assert [t.unit for t in _tokens("2-х секунд 5ти мб")] == ["секунд", "мб"]
    assert facts(ask("больше трёх ретраев", "payments")) == {("retry_count", "range", None, False, (("gt", 3),))}
    assert facts(ask("с тремя и более ретраями", "payments")) == {
        ("retry_count", "range", None, False, (("gte", 3),))}


@pytest.mark.parametrize(("question", "bound"), [
    ("запросы не дольше 100 мс", ("lte", 100)),  # a negated comparison is the opposite bound
    ("no more than 2s", ("lte", 2000)),
    ("не быстрее 2 секунд", ("gte", 2000)),
    ("запросы больше или равно 500 мс", ("gte", 500)),
    ("дольше, чем 2 секунды", ("gt", 2000)),
    ("медленнее полсекунды", ("gt", 500)),
])
def test_russian_and_english_comparisons(question: str, bound: tuple[str, int]) -> None:
    assert facts(ask(question, "k8s_app")) == {("duration_ms", "range", None, False, (bound,))}


def test_a_status_before_the_preposition_s_is_no_duration_and_direction_picks_the_measure() -> None:
    assert facts(ask("404 с урла /old", "nginx")) == {("http.response.status_code", "term", 404, False, ()),
                                                     ("url.path", "term", "/old", False, ())}
    assert ask("ответы больше 1 мегабайта", "api_gw").clauses[0].field == "bytes_out"
    assert ask("requests bigger than 100kb", "api_gw").clauses[0].field == "bytes_in"


def test_values_joined_to_a_named_field_stay_on_it() -> None:
    assert facts(ask("логи контейнеров nginx и envoy", "k8s_app")) == {
        ("kubernetes.container_name", "terms", ("nginx", "envoy"), False, ())}
    assert ask("pod web-1 events", "k8s_events").clauses[-1].value == "web-1"  # "1 events" is no hit count


def test_a_long_field_word_with_one_typo_still_names_its_field() -> None:
    assert ("kubernetes.namespace_name", "term", "shop", False, ()) in facts(ask("errors in namepsace shop", "k8s_app"))
    assert [a.field for a in ask("ошибки по неймпейсам", "k8s_app").aggregations] == ["kubernetes.namespace_name"]
    assert [a.field for a in ask("errors by contianer", "k8s_app").aggregations] == ["kubernetes.container_name"]
