"""`opsbot knowledge` errors and the knowledge enricher's inputs, before anything is ingested (no model)."""

from __future__ import annotations

from pathlib import Path

from bot.config import load_settings
from handlers.enrichers.knowledge import alert_query, knowledge_enricher
from tests.support.cli import opsbot
from tests.support.knowledge_alerts import webhook
from tests.support.paths import TEST_DATA

DATA = TEST_DATA / "knowledge"


def test_cli_errors_are_one_line_and_exit_2(knowledge_data_dir: Path) -> None:
    for args, message in [
        (["knowledge", "ingest", "/nonexistent/kb"], "/nonexistent/kb: no such file or directory"),
        (["knowledge", "ingest", str(DATA), "--doc-type", "wiki"], "--doc-type 'wiki'"),
        (["knowledge", "search"], "give either a QUERY or --batch FILE"),
        (["knowledge", "search", "x", "--collection", "bad name!"], "--collection 'bad name!'"),
    ]:
        result = opsbot(*args)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"opsbot: {message}") and "Traceback" not in result.output


def test_alert_query_takes_name_texts_labels_and_expression() -> None:
    query = alert_query(webhook(summary="Pod is crash looping", runbook_url="https://rb/kubepodcrashlooping"))
    assert query.name == "KubePodCrashLooping" and query.summary == "Pod is crash looping"
    assert "kube_pod_container_status_waiting_reason" in query.expression
    assert "kube_pod_container_status_waiting_reason" in query.text() and "Kube Pod Crash Looping" in query.text()
    assert query.keys() == ["kubepodcrashlooping"]


def test_no_enricher_before_anything_is_ingested(knowledge_data_dir: Path) -> None:
    assert knowledge_enricher(load_settings()) is None
