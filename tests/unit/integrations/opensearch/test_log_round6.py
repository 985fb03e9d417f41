"""Round-6 /logs rules (issue 16): more unfamiliar mappings (object storage, a JVM service). A service named
by its identifier alone, environments on a profile/stage field, CamelCase error codes, field words of
those layouts in both languages, key prefixes ending in "/", exclusions and windows said with typos or
other words, a percentile per group listed as not understood. Each rule on mappings of this file's own,
with phrasings of its own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from integrations.opensearch.question_tokens import respelled, tokenize
from tests.support.log_rules import facts, parse_on
from tests.support.log_scoring import NOW

MAPPINGS: dict[str, dict[str, str]] = {
    "blobs": {"@timestamp": "date", "container": "keyword", "blob_name": "keyword", "verb": "keyword",
              "status_code": "integer", "errorCode": "keyword", "response_bytes": "long", "latency_ms": "integer",
              "client_ip": "ip", "principal": "keyword", "user_agent": "text"},
    "jvm": {"@timestamp": "date", "service.name": "keyword", "pod": "keyword", "stage": "keyword",
            "severity": "keyword", "thread": "keyword", "message": "text", "stacktrace": "text",
            "exception.type": "keyword", "http.route": "keyword", "duration_ms": "long"},
    "boot": {"@timestamp": "date", "app": "keyword", "instance": "keyword", "spring.profiles.active": "keyword",
             "level": "keyword", "thread_name": "keyword", "message": "text", "stack_trace": "text"},
    "rsyslog": {"@timestamp": "date", "host.hostname": "keyword", "process.name": "keyword",
                "log.syslog.facility.name": "keyword", "message": "text", "source.ip": "ip"},
}


def ask(question: str, mapping: str) -> Any:
    return parse_on(question, mapping, MAPPINGS[mapping])


@pytest.mark.parametrize(("question", "mapping", "fact"), [
    ("cart-service lines slower than 2s", "jvm", ("service.name", "term", "cart-service", False, ())),
    ("warnings у ledger-worker", "jvm", ("service.name", "term", "ledger-worker", False, ())),
    ("fraud-api logs from today", "boot", ("app", "term", "fraud-api", False, ())),
    ("в search-consumer ошибки", "boot", ("app", "term", "search-consumer", False, ())),
])
def test_an_identifier_ending_in_a_service_word_is_the_service(question: str, mapping: str,
                                                              fact: tuple[Any, ...]) -> None:
    result = ask(question, mapping)
    assert fact in facts(result)
    assert not result.as_text and not [c for c in result.guesses if c.field == fact[0]]


def test_a_sidecar_is_not_a_service_and_a_pod_name_is_the_pod() -> None:
    assert not [c for c in ask("istio-proxy lines", "jvm").clauses if c.field == "service.name"]
    assert ("pod", "term", "cart-service-5d8f-qx2lp", False, ()) in facts(ask("pod cart-service-5d8f-qx2lp", "jvm"))


@pytest.mark.parametrize(("question", "mapping", "fact"), [
    ("errors in production", "jvm", ("stage", "term", "prod", False, ())),
    ("ERROR на стейдже", "boot", ("spring.profiles.active", "term", "staging", False, ())),
    ("всё кроме прода", "boot", ("spring.profiles.active", "term", "prod", True, ())),
])
def test_environments_go_to_a_profile_or_stage_field(question: str, mapping: str, fact: tuple[Any, ...]) -> None:
    assert fact in facts(ask(question, mapping))


def test_camel_case_error_codes_go_to_the_error_code_field_as_one_clause() -> None:
    assert facts(ask("QuotaExceeded or PreconditionFailed in container logs-eu", "blobs")) == {
        ("errorCode", "terms", ("QuotaExceeded", "PreconditionFailed"), False, ()),
        ("container", "term", "logs-eu", False, ())}
    result = ask("top 3 principals by QuotaExceeded errors", "blobs")  # "errors" is what the code says
    assert [a.field for a in result.aggregations] == ["principal"] and "errors" not in result.not_understood


def test_exception_names_go_to_the_exception_type() -> None:
    assert ("exception.type", "terms", ("IllegalStateException", "SocketException"), False, ()) in facts(
        ask("IllegalStateException или SocketException у cart-service", "jvm"))


@pytest.mark.parametrize(("question", "mapping", "fact"), [
    ("в контейнере media-eu", "blobs", ("container", "term", "media-eu", False, ())),
    ("от принципала ci-bot-2", "blobs", ("principal", "term", "ci-bot-2", False, ())),
    ("principals svc-a and svc-b", "blobs", ("principal", "terms", ("svc-a", "svc-b"), False, ())),
    ("не из потока main-loop", "boot", ("thread_name", "term", "main-loop", True, ())),
    ("логи пода fraud-api-77c9-k2v8q", "boot", ("instance", "term", "fraud-api-77c9-k2v8q", False, ())),
])
def test_field_words_of_unfamiliar_layouts(question: str, mapping: str, fact: tuple[Any, ...]) -> None:
    assert fact in facts(ask(question, mapping))


def test_a_plural_of_a_fields_whole_name_names_it_even_when_its_stem_is_too_common() -> None:
    # `requester` stems to "request", a word too common to name a field alone
    fields = {"@timestamp": "date", "requester": "keyword", "request_id": "keyword", "status": "integer"}
    result = parse_on("top requesters by 403s", "x", fields)
    assert [a.field for a in result.aggregations] == ["requester"]
    russian = parse_on("у какого реквестера больше всего 403", "x", fields)
    assert [a.field for a in russian.aggregations] == ["requester"]


@pytest.mark.parametrize(("question", "fact"), [
    ("blobs under exports/2026/", ("blob_name", "prefix", "exports/2026/", False, ())),
    ("ключи, которые начинаются с tmp/", ("key", "prefix", "tmp/", False, ())),
])
def test_a_key_ending_in_a_slash_is_a_prefix(question: str, fact: tuple[Any, ...]) -> None:
    fields = {**MAPPINGS["blobs"], "key": "keyword"}
    assert fact in facts(parse_on(question, "x", fields))


def test_a_chat_abbreviation_with_a_slash_is_no_path() -> None:
    assert [t.kind for t in tokenize("w/ curl")] == ["word", "word"]
    assert [t.kind for t in tokenize("under logs/ today")][1] == "path"


def test_a_value_before_in_the_text_field_is_held_by_it() -> None:
    assert facts(ask("\"pool exhausted\" or \"lock wait\" in the stack trace", "boot")) == set()
    group = ask("\"pool exhausted\" or \"lock wait\" in the stack trace", "boot").any_of[0]
    assert {(c.field, c.value) for c in group} == {("stack_trace", "pool exhausted"), ("stack_trace", "lock wait")}
    assert ("stacktrace", "phrase", "ConcurrentModificationException", False, ()) in facts(
        ask("ConcurrentModificationException in the stacktrace", "jvm"))
    assert ("user_agent", "phrase", "rclone-v1", False, ()) in facts(ask("rclone-v1 in the user agent", "blobs"))


@pytest.mark.parametrize(("question", "mapping", "fact"), [
    ("errors excpet from cart-service", "jvm", ("service.name", "term", "cart-service", True, ())),
    ("leaving out threads main-loop and io-2", "boot", ("thread_name", "terms", ("main-loop", "io-2"), True, ())),
    ("logins from outside 192.168.0.0/16", "rsyslog", ("source.ip", "term", "192.168.0.0/16", True, ())),
    ("всё по local3 кроме cron, только хосты db-*", "rsyslog", ("host.hostname", "prefix", "db-", False, ())),
    ("всё по local3 кроме cron", "rsyslog", ("log.syslog.facility.name", "term", "local3", False, ())),
])
def test_exclusions_said_with_typos_or_other_words_and_where_they_end(question: str, mapping: str,
                                                                     fact: tuple[Any, ...]) -> None:
    assert fact in facts(ask(question, mapping))


def test_a_function_words_typo_is_respelled_and_values_are_not() -> None:
    assert respelled("errors sinse monday exlcuding db-1") == "errors since monday excluding db-1"
    assert respelled("ALTER statements after noon") == "ALTER statements after noon"


def test_a_quoted_phrase_and_a_right_word_of_another_form_are_not_respelled() -> None:
    assert respelled('lines with "request timeout" sinse monday') == 'lines with "request timeout" since monday'
    assert respelled("Request timed out beside the sine wave") == "Request timed out beside the sine wave"


@pytest.mark.parametrize(("question", "days"), [("warnings sinse tuesday", 6), ("ERROR с позавчера", 2),
                                                ("since the day before yesterday", 2), ("со вчерашнего дня", 1)])
def test_since_a_day_runs_up_to_now(question: str, days: int) -> None:
    window = ask(question, "jvm").time_range
    assert window.end == NOW and (NOW.replace(hour=0) - window.start).days == days


def test_a_percentile_per_group_is_said_not_understood_and_one_overall_is_kept() -> None:
    grouped = ask("p95 duration per route", "jvm")
    assert [a.kind for a in grouped.aggregations] == ["top"] and "p95" in grouped.not_understood
    overall = ask("p95 of duration for cart-service", "jvm")
    assert [a.kind for a in overall.aggregations] == ["percentiles"] and "p95" not in overall.not_understood


def test_russian_size_slang_is_a_size() -> None:
    assert ("response_bytes", "range", None, False, (("gt", 20 * 1024 ** 2),)) in facts(
        ask("ответы больше 20 мегов", "blobs"))


def test_what_did_x_do_asks_about_the_lines_not_which_x() -> None:
    result = ask("what did principal ci-bot-2 do in container media-eu", "blobs")
    assert not result.aggregations
    assert ("principal", "term", "ci-bot-2", False, ()) in facts(result)


def test_since_last_weekday_runs_up_to_now_and_last_weekday_is_that_day() -> None:
    since = ask("ERROR since last friday", "jvm").time_range
    assert since.end == NOW and since.start == datetime(2026, 11, 27, tzinfo=UTC)
    that_day = ask("ERROR last friday", "jvm").time_range
    assert that_day.start == datetime(2026, 11, 27, tzinfo=UTC) and that_day.end == datetime(2026, 11, 28, tzinfo=UTC)


def test_a_possessive_of_a_hyphenated_name_is_the_name() -> None:
    assert ("service.name", "term", "cart-service", False, ()) in facts(ask("cart-service's warnings", "jvm"))


def test_a_tls_version_goes_to_the_protocol_field() -> None:
    fields = {**MAPPINGS["blobs"], "tls_version": "keyword"}
    result = parse_on("not on TLSv1.0", "x", fields)
    assert facts(result) == {("tls_version", "term", "TLSv1.0", True, ())}


def test_an_error_word_beside_a_code_is_that_code_where_there_are_no_levels() -> None:
    result = ask("ошибки QuotaExceeded в контейнере media-eu", "blobs")
    assert ("errorCode", "term", "QuotaExceeded", False, ()) in facts(result) and not result.not_understood
    leveled = ask("errors IllegalStateException", "jvm")  # a layout with levels keeps the level
    assert {c.field for c in leveled.clauses} == {"severity", "exception.type"}


def test_the_component_that_reported_an_event_is_no_service_of_the_lines() -> None:
    fields = {"lastTimestamp": "date", "involvedObject.name": "keyword", "reason": "keyword",
              "source.component": "keyword", "message": "text"}
    result = parse_on("BackOff for cart-service", "x", fields)
    assert "source.component" not in {c.field for c in result.clauses}
