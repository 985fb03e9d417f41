"""Log questions in English and Russian, parsed without an LLM: time ranges in the user's zone,
status codes and classes, levels, hosts, IPs and CIDRs (included or excluded), namespaces, pods,
services, phrases, top-N, histograms, percentiles, sort and size; leftovers are reported."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from integrations.opensearch.question_parser import LogQuestion, parse

NOW = datetime.fromisoformat("2026-11-22T15:30:00+03:00")


def ask(question: str, tz: str = "Europe/Moscow") -> LogQuestion:
    return parse(question, now=NOW, tz=tz)


def filters(result: LogQuestion) -> set[tuple[str, str, bool]]:
    return {(f.kind, f.value, f.exclude) for f in result.filters}


def hours(result: LogQuestion) -> float:
    return (result.time_range.end - result.time_range.start).total_seconds() / 3600


def test_the_russian_example_from_the_issue() -> None:
    result = ask("покажи ошибки 5xx nginx для api.example.com за последние 3 часа без IP 1.2.3.4")
    assert filters(result) == {("status_class", "5xx", False), ("service", "nginx", False),
                               ("host", "api.example.com", False), ("ip", "1.2.3.4", True)}
    assert hours(result) == 3 and result.time_range.end == NOW and result.not_understood == []


@pytest.mark.parametrize(("question", "expected_hours"), [
    ("5xx in the last 15 minutes", 0.25),
    ("errors over the past 2 days", 48),
    ("errors in the last hour", 1),
    ("ошибки за последние полчаса", 0.5),
    ("ошибки за час", 1),
    ("ошибки за сутки", 24),
    ("ошибки за последние 2 недели", 336),
    ("ошибки за три часа", 3),
])
def test_relative_ranges(question: str, expected_hours: float) -> None:
    assert hours(ask(question)) == expected_hours


def test_absolute_ranges_are_in_the_users_zone() -> None:
    between = ask("top 10 client IPs with 5xx between 10:00 and 11:00")
    assert between.time_range.start == datetime.fromisoformat("2026-11-22T10:00:00+03:00")
    assert between.time_range.end == datetime.fromisoformat("2026-11-22T11:00:00+03:00")
    assert [(a.kind, a.field, a.size) for a in between.aggregations] == [("top", "client IPs", 10)]
    russian = ask("ошибки с 9:30 до 10:15 вчера")
    assert russian.time_range.start == datetime.fromisoformat("2026-11-21T09:30:00+03:00")
    utc = parse("errors since 09:00", now=NOW, tz="UTC")
    assert utc.time_range.start == datetime.fromisoformat("2026-11-22T09:00:00+00:00")
    yesterday = ask("warnings since yesterday")
    assert yesterday.time_range.start == datetime.fromisoformat("2026-11-21T00:00:00+03:00")
    day = ask("errors on 2026-11-20")
    assert (day.time_range.start.day, hours(day)) == (20, 24)


def test_no_time_means_the_default_window_and_says_so() -> None:
    result = ask("errors of checkout")
    assert not result.time_range.asked and hours(result) == 1
    assert "no time given" in result.understood[0]


def test_status_codes_exclusions_and_cidrs() -> None:
    result = ask("show 404 responses for shop.example.org excluding 10.0.0.0/8 and without 1.2.3.4 past 2 days")
    assert filters(result) == {("status", "404", False), ("host", "shop.example.org", False),
                               ("cidr", "10.0.0.0/8", True), ("ip", "1.2.3.4", True)}
    assert result.size is None  # "show 404" is a status code, not a number of hits
    russian = ask("сколько 500 ошибок по часам за сутки кроме 10.1.2.3")
    assert filters(russian) == {("status", "500", False), ("ip", "10.1.2.3", True)}
    assert [(a.kind, a.interval) for a in russian.aggregations] == [("histogram", "1h")]
    assert ask("все 5xx кроме 503").filters[-1].model_dump(exclude={"any_of"}) == {
        "kind": "status", "value": "503", "exclude": True}


def test_kubernetes_fields_levels_phrases_and_sort() -> None:
    result = ask('warnings from pod checkout-7d9f-abc in namespace shop containing "connection refused" today, '
                 "oldest first, 50 lines")
    assert filters(result) >= {("pod", "checkout-7d9f-abc", False), ("namespace", "shop", False),
                               ("level", "warning", False), ("phrase", "connection refused", False)}
    assert result.sort == "oldest" and result.size == 50
    assert ask("ошибки в неймспейсе payments").filters[0].model_dump(exclude={"any_of"}) == {
        "kind": "namespace", "value": "payments", "exclude": False}


def test_aggregations() -> None:
    result = ask("p95 request_time per minute for nginx last hour")
    assert [(a.kind, a.field, a.percents, a.interval) for a in result.aggregations] == [
        ("percentiles", "request_time", [95.0], ""), ("histogram", "", [], "1m")]
    assert [a.field for a in ask("most frequent paths with 404").aggregations] == ["paths"]
    top = ask("топ 5 по url за час")
    assert [(a.kind, a.field, a.size) for a in top.aggregations] == [("top", "url", 5)]


def test_words_not_understood_are_reported() -> None:
    result = ask("what went wrong with the frobnicator")
    assert {"frobnicator"} <= set(result.not_understood)
    assert result.filters == []


def test_5xx_errors_is_a_status_not_also_a_level() -> None:
    assert {f.kind for f in ask("5xx errors for api.example.com").filters} == {"status_class", "host"}
    assert {f.kind for f in ask("errors for api.example.com").filters} == {"level", "host"}


def test_syslog_style_question() -> None:
    result = ask("kernel messages from host node-1.dc1.internal since 09:00")
    assert filters(result) == {("service", "kernel", False), ("host", "node-1.dc1.internal", False)}
    assert result.time_range.start == NOW.replace(hour=9, minute=0) and result.time_range.end - NOW == timedelta(0)
