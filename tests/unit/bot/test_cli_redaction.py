"""What the CLI prints is redacted like what the bot posts: `opsbot triage --dry-run --json` (the card,
every field, links decoded) and its terminal rendering."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest

from tests.support.cli import opsbot

SECRETS = {"annotation": "ghp_1234567890abcdefghijABCDEFGHIJ123456", "label": "hunter2-Orders-DB",
           "runbook": "glpat-xYz12345AbCdEfGhIjKl"}


@pytest.fixture
def payload(firing_payload: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            without_opsbot_env: None, without_opsbot_config: None) -> Path:
    monkeypatch.setenv("OPSBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OPSBOT_KNOWLEDGE__ENABLED", "false")
    for where in (firing_payload["commonAnnotations"], firing_payload["alerts"][0]["annotations"]):
        where["description"] += f" token={SECRETS['annotation']}"
        where["runbook_url"] += "?private_token=" + quote(SECRETS["runbook"])
    for where in (firing_payload["commonLabels"], firing_payload["alerts"][0]["labels"]):
        where["db_password"] = SECRETS["label"]
    firing_payload["externalURL"] = "http://alertmanager.example.internal"
    path = tmp_path / "payload.json"
    path.write_text(json.dumps(firing_payload))
    return path


def test_triage_dry_run_json_is_redacted(payload: Path) -> None:
    result = opsbot("triage", "--dry-run", "--json", str(payload))
    assert result.exit_code == 0, result.output
    card = json.loads(result.stdout)
    shown = unquote(result.stdout)
    assert not [name for name, secret in SECRETS.items() if secret in shown]
    assert "token=[redacted]" in card["text"]
    assert {link["title"] for link in card["links"]} == {"Runbook", "Graph", "Silence"}
    assert "%5Bredacted%5D" in next(link["url"] for link in card["links"] if link["title"] == "Silence")


def test_triage_dry_run_terminal_is_redacted(payload: Path) -> None:
    result = opsbot("triage", "--dry-run", str(payload))
    assert result.exit_code == 0, result.output
    assert not [name for name, secret in SECRETS.items() if secret in unquote(result.stdout)]
    assert "[redacted]" in result.stdout
