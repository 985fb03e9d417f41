"""The relevance floor: hybrid results below it are not cited; documents naming the alert always are;
a document whose front matter lists other alerts must clear the higher, scoped floor."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.backends import open_store
from knowledge.config import Floor, KnowledgeSettings
from knowledge.ingest import Ingestor, IngestSource
from knowledge.retrieval import AlertQuery, Retriever
from tests.support.embedders import HashEmbedder

SCOPED = "---\ntitle: Disk full\nalerts: [NodeFilesystemAlmostOutOfSpace]\n---\n\n# Disk full\n\n" \
         "## First checks\n\nThe filesystem of the node is almost full: look at df for the disk.\n"
PLAIN = "# Memory\n\n## Meaning\n\nThe node is running out of memory and swapping.\n"


@pytest.fixture
def retriever(tmp_path: Path) -> Retriever:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "disk.md").write_text(SCOPED)
    (tmp_path / "docs" / "memory.md").write_text(PLAIN)
    store = open_store(KnowledgeSettings(store="edge"), tmp_path / "data", write=True)
    Ingestor(store, HashEmbedder()).run([IngestSource(path=tmp_path / "docs", doc_type="runbook")])
    return Retriever(store, HashEmbedder())


def test_without_a_floor_k_is_always_filled(retriever: Retriever) -> None:
    found = retriever.for_alert(AlertQuery(name="SomethingElse", summary="certificate expires"), k=2)
    assert len(found) == 2 and all(r.similarity < 0.3 for r in found)


def test_below_the_floor_nothing_is_cited(retriever: Retriever) -> None:
    floor = Floor(any=0.3, scoped=0.3)
    assert retriever.for_alert(AlertQuery(name="SomethingElse", summary="certificate expires"), k=2,
                               floor=floor) == []
    close = retriever.for_alert(AlertQuery(name="X", summary="node running out of memory swapping"), k=2, floor=floor)
    assert [r.source for r in close] == ["memory.md"] and close[0].similarity >= 0.3


def test_a_document_naming_the_alert_is_cited_whatever_the_floor(retriever: Retriever) -> None:
    found = retriever.for_alert(AlertQuery(name="NodeFilesystemAlmostOutOfSpace"), k=2, floor=Floor(any=0.99))
    assert [(r.source, r.match) for r in found] == [("disk.md", "alert")]


def test_a_scoped_document_must_clear_the_higher_floor(retriever: Retriever) -> None:
    query = AlertQuery(name="DiskAlmostFull", summary="the filesystem of the node is almost full, check df")
    assert [r.source for r in retriever.for_alert(query, k=1, floor=Floor(any=0.2))] == ["disk.md"]
    assert retriever.for_alert(query, k=1, floor=Floor(any=0.2, scoped=0.99)) == []


def test_the_settings_floors() -> None:
    floor, postmortems = KnowledgeSettings(min_similarity=0.4, scoped_min_similarity=0.6).floors()
    assert (floor.any, floor.scoped, postmortems.any) == (0.4, 0.6, 0.0)
    assert floor.of({"alerts": ["A"]}) == 0.6 and floor.of({"alerts": []}) == 0.4
