"""/logs and `opsbot logs` against a fake OpenSearch driven through opensearch-py: the mapping is
fetched from the cluster, questions in English and Russian over nginx, Kubernetes and syslog layouts
translate into the right filters, windows, exclusions and aggregations (checked semantically), the
query is dry-run with `_validate/query` and executed; invalid LLM output is rejected with the
deterministic query kept; fields outside the mapping are never sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.config import Settings, load_settings
from core.events import Command
from handlers import logs
from handlers.logs import fetch_fields, translate
from integrations.llm.client import LLMClient
from integrations.opensearch.collector import connect
from integrations.opensearch.mapping import IndexSchema, fields_from_mapping
from integrations.opensearch.validate import validate_search
from tests.support.fakes.openai_api import FakeOpenAI
from tests.support.fakes.opensearch_api import FakeOpenSearch
from tests.support.log_cases import CASES, MAPPINGS, NOW, LogCase, problems

PATTERNS = {name: f"{name}-*" for name in MAPPINGS}


def _nginx_doc(minutes_ago: int, status: int, domain: str, ip: str, path: str = "/api/cart",
               duration_ns: int = 20_000_000) -> dict[str, Any]:
    at = (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")
    return {"@timestamp": at, "message": f'{ip} - - "GET {path} HTTP/1.1" {status}', "service": {"name": "nginx"},
            "http": {"response": {"status_code": status}, "request": {"method": "GET"}},
            "url": {"domain": domain, "path": path}, "client": {"ip": ip}, "event": {"duration": duration_ns}}


@pytest.fixture(scope="module")
def opensearch() -> Iterator[FakeOpenSearch]:
    with FakeOpenSearch().run_in_thread() as fake:
        fake.mappings = {PATTERNS[name]: properties for name, properties in MAPPINGS.items()}
        fake.documents = [
            _nginx_doc(10, 502, "api.example.com", "10.1.2.3"),
            _nginx_doc(20, 503, "api.example.com", "1.2.3.4"),
            _nginx_doc(30, 500, "api.example.com", "10.1.2.3", "/api/pay"),
            _nginx_doc(40, 200, "api.example.com", "10.1.2.3"),
            _nginx_doc(50, 504, "shop.example.com", "10.9.9.9"),
            _nginx_doc(300, 500, "api.example.com", "10.1.2.3"),  # 5 hours ago: outside a 3-hour window
        ]
        yield fake


@pytest.fixture
def settings(opensearch: FakeOpenSearch, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("OPSBOT_OPENSEARCH__URL", opensearch.base_url)
    monkeypatch.setenv("OPSBOT_OPENSEARCH__INDEX_PATTERN", PATTERNS["nginx"])
    monkeypatch.setenv("OPSBOT_OPENSEARCH__DASHBOARDS_URL", "https://dashboards.example.internal")
    monkeypatch.setenv("OPSBOT_OPENSEARCH__MAPPING_TTL_S", "0")
    monkeypatch.delenv("OPSBOT_CONFIG", raising=False)
    return load_settings()


def _translate(case: LogCase, settings: Settings, llm: LLMClient | None = None) -> logs.Translation:
    client = connect(settings.opensearch)
    pattern = PATTERNS[case.mapping]
    fields = fetch_fields(client, pattern, settings.opensearch)  # from the cluster, as /logs does
    return translate(case.question, fields, settings.opensearch, index=pattern, now=NOW, llm=llm)


def _time_field(case: LogCase) -> str:
    schema = IndexSchema(pattern="x", fields=fields_from_mapping({"i": {"mappings": {"properties":
                                                                                      MAPPINGS[case.mapping]}}}))
    assert schema.time_field is not None
    return schema.time_field


@pytest.mark.parametrize("case", [c for c in CASES if not c.needs_llm], ids=lambda c: c.question[:50])
def test_rules_translate_the_question(case: LogCase, settings: Settings) -> None:
    translation = _translate(case, settings)
    assert problems(case, translation.dsl, _time_field(case)) == []
    assert not translation.used_llm and translation.understood


def test_rules_leave_what_they_do_not_understand_listed(settings: Settings) -> None:
    case = next(c for c in CASES if c.question.startswith("failed password"))
    translation = _translate(case, settings)
    assert {"failed", "password", "attempts"} <= set(translation.not_understood)
    assert problems(case, translation.dsl, _time_field(case))  # the phrase is missing without the LLM


def test_unknown_kinds_are_skipped_not_guessed(settings: Settings) -> None:
    # syslog has no HTTP status field: the 5xx cannot be applied, and the card says so.
    case = LogCase(question="5xx on db-1.example.internal last hour", mapping="syslog")
    translation = _translate(case, settings)
    assert "5xx" in translation.not_understood  # no status field: listed, never put on another field
    fields = fields_from_mapping({"i": {"mappings": {"properties": MAPPINGS["syslog"]}}})
    assert validate_search(translation.dsl, IndexSchema(pattern="syslog-*", fields=fields), max_size=100) == []


def test_llm_adds_the_clauses_the_rules_could_not(settings: Settings, fake_llm: FakeOpenAI) -> None:
    case = next(c for c in CASES if c.question.startswith("failed password"))
    fake_llm.default_answer = json.dumps({"clauses": [
        {"field": "message", "op": "match_phrase", "value": "Failed password", "gte": "", "lte": "",
         "exclude": False}], "understood": 'lines with "Failed password"'})
    translation = _translate(case, settings, fake_llm.llm_client())
    assert translation.used_llm and problems(case, translation.dsl, _time_field(case)) == []
    (request,) = fake_llm.chat_requests()
    schema = request["response_format"]["json_schema"]["schema"]
    assert "source.ip" in schema["properties"]["clauses"]["items"]["properties"]["field"]["enum"]
    assert "failed, password, attempts" in request["messages"][1]["content"]

    slow = next(c for c in CASES if c.question.startswith("slow requests"))
    fake_llm.default_answer = json.dumps({"clauses": [
        {"field": "event.duration", "op": "range", "value": "", "gte": "2000000000", "lte": "", "exclude": False}],
        "understood": "slower than 2 s"})
    assert problems(slow, _translate(slow, settings, fake_llm.llm_client()).dsl, _time_field(slow)) == []


@pytest.mark.parametrize("clause", [
    {"field": "user.password", "op": "term", "value": "x"},  # not in the mapping
    {"field": "message", "op": "term", "value": "x"},  # term on text
    {"field": "url.domain", "op": "range", "value": "", "gte": "a"},  # range on keyword
    {"field": "client.ip", "op": "term", "value": "not-an-ip"},
])
def test_invalid_llm_output_is_rejected_and_the_rules_query_kept(
        settings: Settings, fake_llm: FakeOpenAI, opensearch: FakeOpenSearch, clause: dict[str, Any]) -> None:
    fake_llm.default_answer = json.dumps({"clauses": [{"gte": "", "lte": "", "exclude": False, **clause}],
                                          "understood": "?"})
    case = next(c for c in CASES if c.question.startswith("failed password"))
    with_llm = _translate(case, settings, fake_llm.llm_client())
    without = _translate(case, settings)
    assert not with_llm.used_llm and with_llm.dsl == without.dsl
    assert with_llm.llm_note.startswith("LLM answer rejected:")
    assert {"failed", "password", "attempts"} <= set(with_llm.not_understood)


def test_fields_outside_the_mapping_are_never_sent(settings: Settings, fake_llm: FakeOpenAI,
                                                  opensearch: FakeOpenSearch) -> None:
    fake_llm.default_answer = json.dumps({"clauses": [
        {"field": "secret.field", "op": "term", "value": "x", "gte": "", "lte": "", "exclude": False}],
        "understood": "?"})
    before = len(opensearch.requests)
    asked = Command(platform="slack", channel="C1", name="logs", text="slow requests to api.example.com last hour")
    card = logs.handle_command(asked, settings, llm=fake_llm.llm_client())
    assert card.status == "done"
    sent = [json.dumps(r.body) for r in opensearch.requests[before:] if r.body]
    assert sent and not any("secret.field" in body for body in sent)
    known = fields_from_mapping({"i": {"mappings": {"properties": MAPPINGS["nginx"]}}})
    for request in opensearch.requests[before:]:
        if request.path.endswith("/_search"):
            schema = IndexSchema(pattern=PATTERNS["nginx"], fields=known)
            assert validate_search(request.body, schema, max_size=100) == []


def test_card_shows_understanding_hits_aggregations_query_and_discover_link(settings: Settings,
                                                                          opensearch: FakeOpenSearch) -> None:
    card = logs.handle_command(Command(platform="mattermost", channel="c1", name="logs",
                                       text="top 5 client ips with 5xx for api.example.com in the last 3 hours"),
                               settings)
    assert card.kind == "logs" and card.status == "done", card.summary
    assert '>= 500 and <= 599 ("5xx")' in card.text and "url.domain = api.example.com" in card.text
    assert card.field("hits") == "3" and "```\n" not in card.text.split("Query")[0]  # size 0: the table answers
    assert "top_client.ip" in card.text and "10.1.2.3 | 2" in card.text and "1.2.3.4 | 1" in card.text
    assert '"range"' in card.text and "http.response.status_code" in card.text  # the query itself, reusable
    (link,) = card.links
    assert link.url.startswith("https://dashboards.example.internal/app/discover#/?_g=(time:(from:")
    assert "http.response.status_code" in link.url

    lines = logs.handle_command(Command(platform="slack", channel="C1", name="logs",
                                        text="5xx for api.example.com in the last 3 hours --index nginx-*"), settings)
    assert lines.field("hits") == "3" and lines.field("index") == "nginx-*"
    assert "502" in lines.text and "GET /api/pay" in lines.text


def test_opensearch_dry_run_rejection_and_missing_index_are_said(settings: Settings,
                                                                opensearch: FakeOpenSearch) -> None:
    opensearch.invalid_reason = "failed to create query: field [url.domain] of type [keyword] ..."
    try:
        card = logs.handle_command(Command(platform="slack", channel="C1", name="logs",
                                           text="5xx for api.example.com last hour"), settings)
    finally:
        opensearch.invalid_reason = ""
    assert card.status == "degraded" and card.summary.startswith("OpenSearch rejected the query: ")
    assert '"range"' in card.text  # the query is still shown
    searches_before = len(opensearch.requests_to("/_search"))
    missing = logs.handle_command(Command(platform="slack", channel="C1", name="logs",
                                          text="errors last hour --index nothing-*"), settings)
    assert missing.status == "degraded" and "no index matches nothing-*" in missing.summary
    assert len(opensearch.requests_to("/_search")) == searches_before


def test_cli_search_against_the_cluster(settings: Settings) -> None:
    result = CliRunner().invoke(app, ["logs", "search", "5xx for api.example.com in the last 3 hours", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["total"] == 3 and printed["index"] == PATTERNS["nginx"]
