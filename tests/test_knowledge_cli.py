"""`opsbot knowledge ingest|search|stats`, `ensure_ingested` (bundled runbooks + configured folders)
and the triage card's citations, end to end with the embedded model and Qdrant Edge."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.config import load_settings
from bot.events import AlertGroup
from handlers.enrichers import build_enrichers
from handlers.knowledge_enricher import SEEN_BEFORE, KnowledgeEnricher, alert_query, knowledge_enricher
from handlers.triage import enrich, enriched_card, first_card
from knowledge import service

pytest.importorskip("sentence_transformers", reason="the 'knowledge' extra is not installed")

DATA = Path(__file__).parent / "data" / "knowledge"
runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("OPSBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("OPSBOT_CONFIG", raising=False)
    yield tmp_path / "data"
    service.close_all()


def opsbot(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input)


def test_ingest_search_stats_and_incremental_reingest(data_dir: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "kb"
    shutil.copytree(DATA, corpus)
    result = opsbot("knowledge", "ingest", str(corpus / "runbooks"), str(corpus / "docs"), "--doc-type", "runbook")
    assert result.exit_code == 0, result.output
    assert "5 files (5 new" in result.output and "seconds" not in result.output
    result = opsbot("knowledge", "ingest", str(corpus / "postmortems"), "--json")
    summary = json.loads(result.stdout)
    assert summary["files_added"] == 2 and summary["chunks_added"] > 0 and summary["seconds"] >= 0

    # unchanged: nothing added; a deleted file disappears
    (corpus / "runbooks" / "disk-full.md").unlink()
    again = json.loads(opsbot("knowledge", "ingest", str(corpus / "runbooks"), str(corpus / "docs"),
                              "--doc-type", "runbook", "--json").stdout)
    assert (again["files_unchanged"], again["files_removed"], again["chunks_added"]) == (4, 1, 0)

    result = opsbot("knowledge", "search", "mem_fragmentation_ratio above 1.5", "--k", "2", "--json")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert len(hits) == 2
    assert set(hits[0]) == {"source", "title", "section", "score", "text"}
    assert hits[0]["source"] == "redis-memory.md" and hits[0]["section"] == "Fragmentation"
    assert hits[0]["title"] == "Redis memory pressure" and "activedefrag" in hits[0]["text"]

    only = json.loads(opsbot("knowledge", "search", "redis", "--doc-type", "postmortem", "--k", "1", "--json").stdout)
    assert [h["source"] for h in only] == ["2024-03-redis-outage.md"]
    assert json.loads(opsbot("knowledge", "search", "free disk space", "--json").stdout)[0]["source"] != "disk-full.md"

    batch = opsbot("knowledge", "search", "--batch", "-", "--k", "1", input="osd.12 down\n\nkeeps restarting\n")
    lines = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [line[0]["source"] for line in lines] == ["ceph-osd.rst", "KubePodCrashLooping.md"]

    stats = json.loads(opsbot("knowledge", "stats", "--json").stdout)
    assert stats["files"] == 6 and stats["by_doc_type"]["postmortem"] > 0 and stats["backend"] == "edge"
    assert "chunks in 6 files" in opsbot("knowledge", "stats").stdout


def test_cli_errors_are_one_line_and_exit_2(data_dir: Path) -> None:
    for args, message in [
        (["knowledge", "ingest", "/nonexistent/kb"], "/nonexistent/kb: no such file or directory"),
        (["knowledge", "ingest", str(DATA), "--doc-type", "wiki"], "--doc-type 'wiki'"),
        (["knowledge", "search"], "give either a QUERY or --batch FILE"),
        (["knowledge", "search", "x", "--collection", "bad name!"], "--collection 'bad name!'"),
    ]:
        result = opsbot(*args)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"opsbot: {message}") and "Traceback" not in result.output


def test_search_on_an_empty_index_prints_nothing_found(data_dir: Path) -> None:
    result = opsbot("knowledge", "search", "anything")
    assert result.exit_code == 0 and "no results" in result.stdout


def webhook(**annotations: str) -> AlertGroup:
    labels = {"alertname": "KubePodCrashLooping", "namespace": "payments", "pod": "auth-7d9f-x2k9p",
              "severity": "critical"}
    alert = {
        "status": "firing", "labels": labels, "annotations": annotations, "fingerprint": "f3eb9258635f759a",
        "startsAt": "2026-11-22T13:06:16.272Z", "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prom:9090/graph?g0.expr=max_over_time%28kube_pod_container_status_waiting_reason"
                        "%7Breason%3D%22CrashLoopBackOff%22%7D%5B5m%5D%29+%3E%3D+1&g0.tab=1",
    }
    return AlertGroup.model_validate({
        "version": "4", "groupKey": '{}:{alertname="KubePodCrashLooping"}', "status": "firing",
        "receiver": "opsbot", "groupLabels": {"alertname": "KubePodCrashLooping"}, "commonLabels": labels,
        "commonAnnotations": annotations, "externalURL": "http://am:9093", "alerts": [alert],
    })


def test_alert_query_takes_name_texts_labels_and_expression() -> None:
    query = alert_query(webhook(summary="Pod is crash looping", runbook_url="https://rb/kubepodcrashlooping"))
    assert query.name == "KubePodCrashLooping" and query.summary == "Pod is crash looping"
    assert "kube_pod_container_status_waiting_reason" in query.expression
    assert "kube_pod_container_status_waiting_reason" in query.text() and "Kube Pod Crash Looping" in query.text()
    assert query.keys() == ["kubepodcrashlooping"]


def test_no_enricher_before_anything_is_ingested(data_dir: Path) -> None:
    assert knowledge_enricher(load_settings()) is None


def test_triage_card_cites_bundled_runbook_and_similar_postmortem(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folders = [{"path": str(DATA / "postmortems"), "doc_type": "postmortem"}]
    monkeypatch.setenv("OPSBOT_KNOWLEDGE__FOLDERS", json.dumps(folders))
    monkeypatch.setenv("OPSBOT_KNOWLEDGE__POSTMORTEMS_K", "1")
    settings = load_settings()
    first = service.ensure_ingested(settings)
    assert first.files_added == len(list(service.bundled_runbooks_dir().glob("*.md"))) + 2
    assert service.ensure_ingested(settings).changed is False  # fast and idle when nothing changed
    synced = opsbot("knowledge", "sync", "--json")  # what `opsbot up` runs at start
    assert synced.exit_code == 0, synced.output
    assert (json.loads(synced.stdout)["files_unchanged"], json.loads(synced.stdout)["chunks_added"]) == (
        first.files_added, 0)

    group = webhook(summary="Pod payments/auth is crash looping",
                    description="Container restarted 5 times in 10 minutes (OOMKilled, exit code 137).")
    enrichers = [e for e in build_enrichers(settings) if isinstance(e, KnowledgeEnricher)]
    assert len(enrichers) == 1
    card = enriched_card(first_card(group), enrich(group, enrichers, per_source_s=5, total_s=5))
    assert not card.unavailable
    sources = [c.source for c in card.citations]
    assert sources[0] == "pod-crash-looping.md"  # named in its front matter: first
    assert card.citations[0].title == "Pod crash looping" and card.citations[0].section
    assert "container-oomkilled.md" in sources[1:3]  # the description mentions OOMKilled
    assert card.citations[-1].title.startswith(SEEN_BEFORE) and card.citations[-1].score > 0
    assert len(card.citations) == settings.knowledge.k + 1

    # the same through `opsbot triage --dry-run --json`
    payload = json.dumps(group.model_dump(mode="json"))
    result = opsbot("triage", "-", "--dry-run", "--json", input=payload)
    assert result.exit_code == 0, result.output
    cited = json.loads(result.stdout.splitlines()[-1])["citations"]
    assert cited[0]["source"] == "pod-crash-looping.md"
    assert {"source", "title", "section", "score", "url"} <= set(cited[0])
