"""Log questions in English and Russian, read without an LLM against a mapping: time ranges in the
user's zone, typed values attached to the field named next to them (or the one field their type
fits), exclusions of several values, thresholds with units, grouping, sorting by a measure, any-of
phrases; words not understood are listed, never put on a wrong field. Own cases, not the benchmark's."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from core.typos import one_typo_apart as near
from integrations.opensearch.mapping import IndexSchema, fields_from_mapping
from integrations.opensearch.question_parser import LogQuestion, parse
from tests.support.log_cases import MAPPINGS

NOW = datetime.fromisoformat("2026-11-22T15:30:00+03:00")
# An unfamiliar application layout: names the synonym table has never seen.
BILLING = {"at": "date", "svc": "keyword", "env": "keyword", "elapsed_ms": "long", "payload_size": "long",
           "client_addr": "ip", "invoice_id": "keyword", "exception.class": "keyword", "note": "text",
           "severity": "keyword", "attempts": "integer"}


def schema(name: str) -> IndexSchema:
    if name == "billing":
        return IndexSchema(pattern="billing-*", fields=BILLING)
    return IndexSchema(pattern=f"{name}-*", fields=fields_from_mapping({"i": {"mappings": {"properties":
                                                                                           MAPPINGS[name]}}}))


def ask(question: str, mapping: str = "nginx", tz: str = "Europe/Moscow") -> LogQuestion:
    return parse(question, now=NOW, tz=tz, schema=schema(mapping))


def clauses(result: LogQuestion) -> set[tuple[Any, ...]]:
    out = set()
    for c in result.clauses:
        value = tuple(dict.fromkeys(str(v).lower() for v in c.values)) if c.op == "terms" else c.value
        bounds = tuple((k, getattr(c, k)) for k in ("gte", "gt", "lte", "lt") if getattr(c, k) is not None)
        out.add((c.field, c.op, bounds or value, c.exclude))
    return out


def hours(result: LogQuestion) -> float:
    return (result.time_range.end - result.time_range.start).total_seconds() / 3600


@pytest.mark.parametrize(("question", "expected_hours"), [
    ("5xx in the last 15 minutes", 0.25), ("errors over the past 2 days", 48), ("ошибки за последние полчаса", 0.5),
    ("ошибки за сутки", 24), ("ошибки за последние 2 недели", 336), ("ошибки за три часа", 3), ("5xx past 90m", 1.5),
    ("404 last 6h", 6), ("404 за 2ч", 2),
])
def test_relative_ranges(question: str, expected_hours: float) -> None:
    assert hours(ask(question)) == expected_hours


def test_absolute_ranges_weekdays_and_clock_words_are_in_the_users_zone() -> None:
    between = ask("5xx between 10:00 and 11:00")
    assert between.time_range.start == datetime.fromisoformat("2026-11-22T10:00:00+03:00")
    assert between.time_range.end == datetime.fromisoformat("2026-11-22T11:00:00+03:00")
    assert ask("ошибки с 9:30 до 10:15 вчера").time_range.start == datetime.fromisoformat("2026-11-21T09:30:00+03:00")
    assert ask("404 since 8am").time_range.start == datetime.fromisoformat("2026-11-22T08:00:00+03:00")
    assert ask("warnings since yesterday").time_range.start == datetime.fromisoformat("2026-11-21T00:00:00+03:00")
    before = ask("ошибки позавчера")  # the whole day before yesterday
    assert (before.time_range.start.day, hours(before)) == (20, 24)
    since = ask("404 since tuesday")  # 2026-11-22 is a Sunday
    assert since.time_range.start == datetime.fromisoformat("2026-11-17T00:00:00+03:00")
    evening = ask("500 в четверг с 19 до 23")
    assert (evening.time_range.start.day, evening.time_range.start.hour, hours(evening)) == (19, 19, 4)
    assert not ask("500 on /pay").time_range.asked


def test_values_go_to_the_field_their_type_or_neighbour_names() -> None:
    result = ask("GET and HEAD requests to /static/* from 10.1.0.0/16 with status 304 on shop.example.org")
    assert clauses(result) == {("http.request.method", "terms", ("get", "head"), False),
                               ("url.path", "prefix", "/static/", False), ("client.ip", "term", "10.1.0.0/16", False),
                               ("http.response.status_code", "term", 304, False),
                               ("url.domain", "term", "shop.example.org", False)}
    assert result.not_understood == []
    russian = ask("ответы 4хх для домена shop.example.org кроме адресов 10.0.0.1 и 10.0.0.2")
    assert clauses(russian) == {("http.response.status_code", "range", (("gte", 400), ("lte", 499)), False),
                                ("url.domain", "term", "shop.example.org", False),
                                ("client.ip", "terms", ("10.0.0.1", "10.0.0.2"), True)}


def test_thresholds_with_units_convert_to_the_fields_unit() -> None:
    nginx = ask("uploads bigger than 2 MB that took more than 1.5 s")  # ECS event.duration: nanoseconds
    assert clauses(nginx) == {("http.response.body.bytes", "range", (("gt", 2097152),), False),
                              ("event.duration", "range", (("gt", 1500000000),), False)}
    billing = ask("svc ledger calls slower than 300ms with at least 3 attempts", "billing")
    assert clauses(billing) == {("svc", "term", "ledger", False), ("elapsed_ms", "range", (("gt", 300),), False),
                                ("attempts", "range", (("gte", 3),), False)}
    russian = ask("запросы дольше 2 секунд и меньше 10 КБ")
    assert clauses(russian) == {("event.duration", "range", (("gt", 2000000000),), False),
                                ("http.response.body.bytes", "range", (("lt", 10240),), False)}


def test_grouping_top_n_which_most_and_per() -> None:
    top = ask("top 3 paths with 502")
    assert [(a.field, a.size) for a in top.aggregations] == [("url.path", 3)]
    which = ask("which domains return the most 404s")
    assert [a.field for a in which.aggregations] == ["url.domain"]
    assert clauses(which) == {("http.response.status_code", "term", 404, False)}
    per = ask("ошибки по неймспейсам за час", "k8s")
    assert [a.field for a in per.aggregations] == ["kubernetes.namespace_name"]
    by_pod = ask("логи по поду cart-5f6d за час", "k8s")  # "по" + a value: a filter, not a grouping
    assert by_pod.aggregations == [] and ("kubernetes.pod_name", "term", "cart-5f6d", False) in clauses(by_pod)
    histogram = ask("500 per minute")
    assert [(a.kind, a.interval) for a in histogram.aggregations] == [("histogram", "1m")]


def test_sort_by_a_measure() -> None:
    assert (ask("slowest calls to /pay").sort_field, ask("slowest calls to /pay").sort_order) == \
        ("event.duration", "desc")
    assert ask("самые большие ответы").sort_field == "http.response.body.bytes"
    assert (ask("invoices sorted by attempts ascending", "billing").sort_field,
            ask("invoices sorted by attempts ascending", "billing").sort_order) == ("attempts", "asc")
    assert ask("500 oldest first").sort == "oldest"


def test_kubernetes_names_inflected_and_identifiers() -> None:
    result = ask("предупреждения у подов checkout-7d9f-abc и checkout-7d9f-xyz в неймспейсе shop", "k8s")
    assert clauses(result) == {
        ("level", "terms", ("warn", "warning"), False),
        ("kubernetes.pod_name", "terms", ("checkout-7d9f-abc", "checkout-7d9f-xyz"), False),
        ("kubernetes.namespace_name", "term", "shop", False)}
    prefix = ask("logs of pods starting with payments- in namespace prod", "k8s")
    assert ("kubernetes.pod_name", "prefix", "payments-", False) in clauses(prefix)


def test_phrases_exceptions_and_or() -> None:
    result = ask('errors containing "deadline exceeded" or "connection reset" except pod api-1', "k8s")
    assert ("kubernetes.pod_name", "term", "api-1", True) in clauses(result)
    (group,) = result.any_of
    assert {(c.field, c.op, c.value) for c in group} == {("message", "phrase", "deadline exceeded"),
                                                          ("message", "phrase", "connection reset")}
    billing = ask("IllegalStateException in env staging", "billing")
    assert clauses(billing) == {("exception.class", "term", "IllegalStateException", False),
                                ("env", "term", "staging", False)}
    assert clauses(ask('без "health check"', "syslog")) == {("message", "phrase", "health check", True)}


def test_levels_in_the_layouts_spelling_and_typos() -> None:
    assert clauses(ask("kernel erorrs on node-3.example.internal", "syslog")) == {
        ("syslog.appname", "term", "kernel", False), ("syslog.hostname", "term", "node-3.example.internal", False),
        ("syslog.severity", "terms", ("err",), False)}
    assert near("namepsace", "namespace") and near("erors", "errors") and not near("error", "mirror")


def test_words_not_understood_are_listed_not_put_on_a_field() -> None:
    result = ask("what went wrong with the frobnicator on tuesdays")
    assert "frobnicator" in result.not_understood and result.clauses == []
    # An identifier no field is named for is looked for as text in the message, and the card says so.
    stray = ask("ошибки checkout-7d9f за час", "nginx")
    assert clauses(stray) == {("message", "phrase", "checkout-7d9f", False)}
    assert any("matched as text" in line for line in stray.understood) and "checkout-7d9f" not in stray.not_understood
    no_status = ask("5xx on db-1.example.internal", "syslog")
    assert "5xx" in no_status.not_understood and ("syslog.hostname", "term", "db-1.example.internal", False) in \
        clauses(no_status)


def test_no_time_means_the_default_window_and_says_so() -> None:
    result = ask("errors of checkout", "k8s")
    assert not result.time_range.asked and hours(result) == 1 and "no time given" in result.understood[0]
    assert parse("5xx", now=NOW, default_window=timedelta(hours=2)).time_range.start == NOW - timedelta(hours=2)
