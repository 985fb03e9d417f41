"""`opsbot feedback export`: the JSON Lines record of verdicts as evaluation cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.cards import Card, CardField, CardKind, CardStatus
from handlers.feedback import JSONL_FILE, Vote, verdict_for
from tests.support.cli import opsbot

VERDICTS: list[tuple[Vote, str, str]] = [("down", "U1", ""), ("wrong_cause", "U2", "the disk filled up")]


@pytest.mark.usefixtures("without_opsbot_env", "without_opsbot_config")
def test_export_writes_one_case_per_verdict(tmp_path: Path) -> None:
    card = Card(kind=CardKind.triage, status=CardStatus.firing, title="Node worker-3 not ready",
                fields=[CardField(name="alert", value="KubeNodeNotReady")])
    lines = [verdict_for(card, vote, card_key="k1", platform="slack", channel="C1", user=user, user_id=user,
                         text=text).model_dump_json()
             for vote, user, text in VERDICTS]
    (tmp_path / JSONL_FILE).write_text("\n".join(lines) + "\n")
    result = opsbot("--data-dir", str(tmp_path), "feedback", "export")
    assert result.exit_code == 0, result.output
    cases = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(c["alert"], c["verdict"], c["text"]) for c in cases] == [
        ("KubeNodeNotReady", "down", ""), ("KubeNodeNotReady", "wrong_cause", "the disk filled up")]
    out = tmp_path / "cases.jsonl"
    result = opsbot("--data-dir", str(tmp_path), "feedback", "export", "--vote", "wrong_cause", "--out", str(out))
    assert result.exit_code == 0 and len(out.read_text().splitlines()) == 1
