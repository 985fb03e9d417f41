"""Round-5 /logs rules (issue 16): what unfamiliar mappings need. Russian words for field-name parts
(field_words.yaml), a too-common word naming the one field that takes the value after it, lists on a
named field, which of several measures a threshold means, level ladders, typed identifiers (SQLSTATE,
client tools, SQL verbs, program/part), clock ranges, counts with k/M. Each rule on mappings of this
file's own, with phrasings of its own."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.opensearch.field_words import russian_parts
from integrations.opensearch.vocabulary import vocabulary
from tests.support.log_rules import facts, parse_on

MAPPINGS: dict[str, dict[str, str]] = {
    "sqlaudit": {"@timestamp": "date", "server": "keyword", "db_name": "keyword", "db_role": "keyword",
                 "table_name": "keyword", "command": "keyword", "sql_text": "text", "elapsed_ms": "long",
                 "lock_ms": "long", "rows_read": "long", "rows_written": "long", "err_code": "keyword",
                 "level": "keyword", "client_app": "keyword"},
    "proxy": {"ts": "date", "authority": "keyword", "upstream_addr": "keyword", "ua": "text", "ua.keyword": "keyword",
              "egress_bytes": "long", "ingress_bytes": "long", "status": "integer", "flags": "keyword",
              "cluster_name": "keyword", "total_ms": "long", "upstream_ms": "long", "req_id": "keyword"},
    "tasks": {"at": "date", "taskType": "keyword", "queue": "keyword", "workerName": "keyword", "state": "keyword",
              "runMs": "long", "queuedMs": "long", "tenantId": "keyword", "errMessage": "text", "logMsg": "text",
              "level": "keyword", "tries": "integer"},
    "syslog": {"@timestamp": "date", "host.hostname": "keyword", "process.name": "keyword",
               "log.syslog.severity.name": "keyword", "message": "text"},
}


def ask(question: str, mapping: str) -> Any:
    return parse_on(question, mapping, MAPPINGS[mapping])


def test_the_field_words_file_maps_russian_words_to_one_english_part_each() -> None:
    words = russian_parts()
    assert len({part for parts in words.values() for part in parts}) >= 60
    assert all(part.isascii() and " " not in part for parts in words.values() for part in parts)
    assert "ошибки" not in words and "ошибка" not in words  # a level word never names a field


@pytest.mark.parametrize(("question", "mapping", "fact"), [
    ("медленные в базе ledger", "sqlaudit", ("db_name", "term", "ledger", False, ())),
    ("всё кроме таблицы audit_log", "sqlaudit", ("table_name", "term", "audit_log", True, ())),
    ("503 в кластере billing-v2", "proxy", ("cluster_name", "term", "billing-v2", False, ())),
    ("что делал воркер w-17", "tasks", ("workerName", "term", "w-17", False, ())),
    ("задачи в очереди thumbs", "tasks", ("queue", "term", "thumbs", False, ())),
    ("упавшие задачи типа pdf-render", "tasks", ("taskType", "term", "pdf-render", False, ())),
])
def test_russian_words_name_the_parts_of_english_field_names(question: str, mapping: str,
                                                             fact: tuple[Any, ...]) -> None:
    assert fact in facts(ask(question, mapping))


def test_a_stem_match_across_languages_allows_an_inflected_english_part() -> None:
    # "очереди" is queue; `queuedMs` stems to "queu": the wait in the queue, not the run time
    assert facts(ask("ожидание в очереди больше 5 минут", "tasks")) == {
        ("queuedMs", "range", None, False, (("gt", 300000),))}


@pytest.mark.parametrize(("question", "mapping", "fact"), [
    ("с кодом 42P01", "sqlaudit", ("err_code", "term", "42P01", False, ())),
    ("SQLSTATE 40001 today", "sqlaudit", ("err_code", "term", "40001", False, ())),
    ("request 1f0e-77aa on the proxy", "proxy", ("req_id", "term", "1f0e-77aa", False, ())),
    ("реквест 1f0e-77aa", "proxy", ("req_id", "term", "1f0e-77aa", False, ())),
])
def test_a_too_common_word_names_the_one_field_that_takes_the_value_after_it(question: str, mapping: str,
                                                                            fact: tuple[Any, ...]) -> None:
    assert fact in facts(ask(question, mapping))


def test_a_too_common_word_alone_names_nothing() -> None:
    assert not ask("code review notes", "sqlaudit").clauses
    assert ("taskType", "terms", ("pdf-render", "zip-export"), True, ()) in facts(
        ask("all but types pdf-render and zip-export", "tasks"))


def test_a_list_after_a_named_field_stays_on_it_whatever_each_value_looks_like() -> None:
    assert facts(ask("without roles postgres, reporter and backup_ro", "sqlaudit")) == {
        ("db_role", "terms", ("postgres", "reporter", "backup_ro"), True, ())}
    assert facts(ask("всё кроме succeeded и retrying", "tasks")) == {  # an outcome, then a plain word
        ("state", "terms", ("succeeded", "retrying"), True, ())}


def test_known_client_programs_go_to_the_application_field() -> None:
    assert facts(ask("не из psql и не из pgbouncer", "sqlaudit")) == {
        ("client_app", "term", "psql", True, ()), ("client_app", "term", "pgbouncer", True, ())}


@pytest.mark.parametrize(("question", "mapping", "field"), [
    ("дольше 2 секунд", "sqlaudit", "elapsed_ms"),  # the generic measure, not the lock's
    ("lock over 1s", "sqlaudit", "lock_ms"),  # the one the question names
    ("queued over 2 minutes", "tasks", "queuedMs"),
    ("slower than 3s", "proxy", "total_ms"),
    ("responses over 1 MB", "proxy", "egress_bytes"),  # direction: a response goes out
    ("incoming bodies over 1 MB", "proxy", "ingress_bytes"),
])
def test_which_measure_a_threshold_belongs_to(question: str, mapping: str, field: str) -> None:
    assert [c.field for c in ask(question, mapping).clauses] == [field]


def test_the_generic_measure_is_also_the_one_sorted_on() -> None:
    assert ask("самые долгие за сутки", "sqlaudit").sort_field == "elapsed_ms"


def test_but_before_a_field_joins_rather_than_excludes() -> None:
    assert facts(ask("upstream at least 1s but total under 2 s", "proxy")) == {
        ("upstream_ms", "range", None, False, (("gte", 1000),)), ("total_ms", "range", None, False, (("lt", 2000),))}
    assert ("status", "term", 404, True, ()) in facts(ask("everything but 404", "proxy"))


def _levels(question: str, mapping: str) -> set[str]:
    clause = ask(question, mapping).clauses[0]
    return {str(v).lower() for v in (clause.values or [clause.value])}


def test_level_sets_and_ladders() -> None:
    assert _levels("FATAL or PANIC", "sqlaudit") == {"fatal", "panic"}
    assert _levels("error and above", "tasks") == {"panic", "fatal", "critical", "crit", "error"}
    assert _levels("warning и выше", "syslog") == {"emerg", "alert", "crit", "err", "warning"}
    assert _levels("ерроры за час", "tasks") == {"error"}
    assert facts(ask("warn+error", "tasks")) == {("level", "terms", ("warn", "WARN", "Warn", "warning", "WARNING",
                                                                    "Warning", "error", "ERROR", "Error"), False, ())}


def test_a_level_inside_a_field_name_before_its_noun_names_that_field() -> None:
    result = ask('error message "disk quota" or "no space left"', "tasks")
    assert {c.field for group in result.any_of for c in group} == {"errMessage"}


@pytest.mark.parametrize(("question", "mapping", "fact"), [
    ("POSTs от курла", "proxy", ("ua", "phrase", "curl", False, ())),
    ("hits with Firefox in the user agent", "proxy", ("ua", "phrase", "firefox", False, ())),
    ("что писал postfix/qmgr", "syslog", ("process.name", "term", "postfix/qmgr", False, ())),
    ("UPDATEs and DELETEs on accounts", "sqlaudit", ("command", "terms", ("UPDATE", "DELETE"), False, ())),
    ("по кластерам 503-и", "proxy", ("status", "term", 503, False, ())),  # a status code is no cluster
])
def test_typed_identifiers_find_their_field(question: str, mapping: str, fact: tuple[Any, ...]) -> None:
    assert fact in facts(ask(question, mapping))


def test_a_clock_range_whose_end_has_no_half_takes_the_start_one() -> None:
    window = ask("from 8am to 10 everything", "tasks").time_range
    assert (window.start.hour, window.end.hour) == (8, 10)
    window = ask("from 9pm to 11", "tasks").time_range
    assert (window.start.hour, window.end.hour) == (21, 23)
    assert not any(c.field == "queue" for c in ask("from 8am to 10 everything", "tasks").clauses)


@pytest.mark.parametrize(("question", "hours"), [
    ("вчера с 8 утра до 10", (8, 10)), ("с 7 вечера до 9", (19, 21)), ("between 1 and 3pm", (13, 15)),
    ("from 10am till noon", (10, 12)), ("с 1 до 3 ночи", (1, 3)),
])
def test_half_day_words_after_clock_times(question: str, hours: tuple[int, int]) -> None:
    window = ask(question, "tasks").time_range
    assert (window.start.hour, window.end.hour) == hours and not ask(question, "tasks").not_understood


def test_a_pair_of_numbers_with_a_unit_is_no_clock_range() -> None:
    assert not ask("с 1 до 5 секунд", "tasks").time_range.asked


def test_k_and_m_after_a_comparison_on_a_count_are_thousands_and_millions() -> None:
    assert facts(ask("more than 20k rows read", "sqlaudit")) == {("rows_read", "range", None, False, (("gt", 20000),))}
    result = ask("rows written over 2M", "sqlaudit")
    assert facts(result) == {("rows_written", "range", None, False, (("gt", 2000000),))}
    assert not result.time_range.asked  # "over 2M" is no window of two minutes
    assert facts(ask("responses over 2mb", "proxy")) == {("egress_bytes", "range", None, False, (("gt", 2097152),))}


def test_which_x_has_the_most_counts_the_words_after_it() -> None:
    result = ask("which queue has the most dead tasks", "tasks")
    assert [a.field for a in result.aggregations] == ["queue"]
    assert ("state", "term", "dead", False, ()) in facts(result)


def test_the_vocabulary_prefers_the_generic_measure_on_a_tie() -> None:
    vocab = vocabulary(MAPPINGS["sqlaudit"])
    assert vocab.first("duration").name == "elapsed_ms"  # type: ignore[union-attr]


def test_dead_before_letter_is_no_outcome_of_its_own() -> None:
    assert ("state", "term", "dead", False, ()) not in facts(ask("dead lettered tasks per queue", "tasks"))


def test_a_russian_word_may_name_several_english_parts() -> None:
    assert russian_parts()["задача"] == ("job", "task")
    assert [a.field for a in ask("по типам задач сколько упавших", "tasks").aggregations] == ["taskType"]


def test_words_that_multiply_the_number_before_them() -> None:
    assert facts(ask("прочитавшие больше 100 тыс строк", "sqlaudit")) == {
        ("rows_read", "range", None, False, (("gt", 100000),))}
    assert facts(ask("rows written over 2 million", "sqlaudit")) == {
        ("rows_written", "range", None, False, (("gt", 2000000),))}


def test_a_list_on_a_named_field_may_mix_identifiers_and_numbers() -> None:
    assert ("err_code", "terms", ("40P01", "40001"), False, ()) in facts(ask("с кодами 40P01 или 40001", "sqlaudit"))


def test_a_compared_number_never_goes_to_a_keyword_field_named_after_it() -> None:
    assert facts(ask("retries >= 3 for tenant acme", "tasks")) == {
        ("tries", "range", None, False, (("gte", 3),)), ("tenantId", "term", "acme", False, ())}
    assert [c.field for c in ask("дольше минуты", "tasks").clauses] == ["runMs"]  # a run time is the duration


def test_a_hyphenated_run_of_name_parts_names_its_field_and_error_x_a_code_field() -> None:
    assert facts(ask("x-req-id 1f0e-77aa", "proxy")) == {("req_id", "term", "1f0e-77aa", False, ())}
    assert facts(ask("ошибка 42P01", "sqlaudit")) == {("err_code", "term", "42P01", False, ())}
    assert ("err_code", "term", "timeout", False, ()) not in facts(ask("ошибка timeout", "sqlaudit"))
