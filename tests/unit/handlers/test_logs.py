"""/logs and `opsbot logs translate` without OpenSearch: the card explains, the offline translation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.config import load_settings
from core.events import Command
from handlers import logs


def test_without_opensearch_or_question_the_card_explains(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPSBOT_OPENSEARCH__URL", raising=False)
    settings = load_settings()
    card = logs.handle_command(Command(platform="slack", channel="C1", name="logs", text="errors last hour"), settings)
    assert card.status == "degraded" and "not configured" in card.summary
    usage = logs.handle_command(Command(platform="slack", channel="C1", name="logs", text="  "), settings)
    assert usage.kind == "help" and "/logs QUESTION" in usage.text


def test_cli_translate_offline_with_a_pasted_mapping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPSBOT_OPENSEARCH__URL", raising=False)
    flat = tmp_path / "mapping.json"
    flat.write_text(json.dumps({"@timestamp": "date", "message": "text", "status": "integer", "host": "keyword",
                                "remote_addr": "ip"}))
    result = CliRunner().invoke(app, ["logs", "translate", "5xx on api.example.com за последние 3 часа без IP 1.2.3.4",
                                      "--mapping", str(flat), "--now", "2026-11-22T13:00:00Z", "--tz", "Europe/Moscow",
                                      "--no-llm", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert set(printed) >= {"dsl", "index", "understood", "not_understood", "used_llm"}
    query = printed["dsl"]["query"]["bool"]
    assert {"range": {"status": {"gte": 500, "lte": 599}}} in query["filter"]
    assert query["must_not"] == [{"term": {"remote_addr": "1.2.3.4"}}]

    flat.write_text("[1, 2]")
    bad = CliRunner().invoke(app, ["logs", "translate", "errors", "--mapping", str(flat)])
    assert bad.exit_code == 2 and "not a JSON object of field -> type" in bad.output and "Traceback" not in bad.output
    no_tz = CliRunner().invoke(app, ["logs", "translate", "errors", "--mapping", str(tmp_path / "mapping.json"),
                                     "--tz", "Mars/Olympus"])
    assert no_tz.exit_code == 2 and "unknown time zone" in no_tz.output
