"""Ingestion into both store backends (Qdrant Edge, qdrant-client local mode): incremental
re-ingest, changes, deletion, filters, hybrid ranking and alert-aware retrieval.

A small deterministic embedder (hashed bag of words) stands in for the model here so the store
logic is tested fast; the real model is tested in tests/integration/test_knowledge_embeddings.py.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.backends import open_store
from knowledge.config import KnowledgeSettings
from knowledge.ingest import IngestError, Ingestor, IngestSource
from knowledge.retrieval import AlertQuery, Retriever
from knowledge.store import Store, StoreError
from tests.support.embedders import HashEmbedder
from tests.support.paths import TEST_DATA

DATA = TEST_DATA / "knowledge"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A writable copy of the fixture corpus, so tests can change and delete files."""
    target = tmp_path / "corpus"
    shutil.copytree(DATA, target)
    return target


@pytest.fixture(params=["edge", "local"])
def store_settings(request: pytest.FixtureRequest) -> KnowledgeSettings:
    return KnowledgeSettings(store=request.param, collection="test-kb")


@pytest.fixture
def writer(store_settings: KnowledgeSettings, tmp_path: Path) -> Iterator[Store]:
    store = open_store(store_settings, tmp_path / "data", write=True)
    yield store
    store.close()


def ingest(store: Store, embedder: HashEmbedder, corpus: Path) -> Ingestor:
    return Ingestor(store, embedder, max_tokens=128, overlap=16)


def sources(corpus: Path) -> list[IngestSource]:
    return [
        IngestSource(path=corpus / "runbooks", doc_type="runbook"),
        IngestSource(path=corpus / "postmortems"),
        IngestSource(path=corpus / "docs"),
    ]


def test_ingest_then_reingest_is_incremental(writer: Store, corpus: Path) -> None:
    embedder = HashEmbedder()
    ingestor = ingest(writer, embedder, corpus)
    first = ingestor.run(sources(corpus))
    assert (first.files, first.files_added, first.files_unchanged) == (7, 7, 0)
    assert first.chunks_added >= 15 and first.chunks_removed == 0
    stats = writer.stats()
    assert stats.files == 7 and stats.chunks == first.chunks_added
    assert stats.by_doc_type == {"runbook": 12, "postmortem": 5, "doc": 3}

    calls = embedder.calls
    again = ingestor.run(sources(corpus))
    assert (again.files_unchanged, again.files_added, again.files_changed, again.chunks_added) == (7, 0, 0, 0)
    assert embedder.calls == calls  # unchanged files cost no embedding

    # change one file (fewer sections), delete another
    (corpus / "runbooks" / "KubePodCrashLooping.md").write_text("# KubePodCrashLooping\n\n## Meaning\n\nRestarts.\n")
    (corpus / "postmortems" / "2023-11-ceph-network.md").unlink()
    texts = embedder.texts
    third = ingestor.run(sources(corpus))
    assert (third.files_changed, third.files_removed, third.files_unchanged) == (1, 1, 5)
    assert third.chunks_changed == 1
    assert third.chunks_removed == 2 + 2  # two surplus chunks of the changed file, two of the deleted one
    assert embedder.texts - texts == 1  # only the changed file was embedded again
    stats = writer.stats()
    assert stats.files == 6 and stats.chunks == first.chunks_added - 4
    files = writer.files(str((corpus / "runbooks").resolve()))
    assert files["KubePodCrashLooping.md"].chunks == 1
    assert "2023-11-ceph-network.md" not in writer.files(str((corpus / "postmortems").resolve()))


def test_a_different_chunk_size_or_doc_type_reembeds(writer: Store, corpus: Path) -> None:
    embedder = HashEmbedder()
    Ingestor(writer, embedder, max_tokens=128, overlap=16).run(sources(corpus)[:1])
    resized = Ingestor(writer, embedder, max_tokens=64, overlap=8).run(sources(corpus)[:1])
    assert resized.files_changed == 4 and resized.files_unchanged == 0


def test_bad_path_fails_before_anything_is_written(writer: Store, corpus: Path) -> None:
    with pytest.raises(IngestError, match="no such file"):
        Ingestor(writer, HashEmbedder()).run([*sources(corpus), IngestSource(path=corpus / "missing")])
    assert writer.stats().chunks == 0


def test_a_single_file_is_its_own_source(writer: Store, corpus: Path) -> None:
    summary = Ingestor(writer, HashEmbedder()).run([IngestSource(path=corpus / "runbooks" / "redis-memory.md")])
    assert summary.files_added == 1
    hits = Retriever(writer, HashEmbedder()).search("redis", k=3)
    assert [h.source for h in hits] == ["redis-memory.md"]


@pytest.fixture
def retriever(writer: Store, corpus: Path) -> Retriever:
    embedder = HashEmbedder()
    Ingestor(writer, embedder, max_tokens=128, overlap=16).run(sources(corpus))
    writer.commit()
    return Retriever(writer, embedder)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("mem_fragmentation_ratio is 3.2", "redis-memory.md"),
        ("osd.12 marked down", "ceph-osd.rst"),
        ("filesystem has no free space left, df shows 100%", "disk-full.md"),
        ("container exit code 137 OOMKilled restarts", "KubePodCrashLooping.md"),
        ("перезапуск демона OSD после ошибок диска", "osd-restart-ru.md"),
        ("jumbo frames dropped after switch firmware upgrade", "2023-11-ceph-network.md"),
    ],
)
def test_hybrid_ranking_on_the_fixture_corpus(retriever: Retriever, query: str, expected: str) -> None:
    results = retriever.search(query, k=3)
    assert results[0].source == expected, [r.source for r in results]
    assert len({r.source for r in results}) == len(results)  # one result per document
    assert results[0].score >= results[-1].score


def test_filters_by_doc_type_and_service(retriever: Retriever) -> None:
    only_postmortems = retriever.search("redis memory evicted keys", k=5, doc_types=["postmortem"])
    assert only_postmortems and {r.doc_type for r in only_postmortems} == {"postmortem"}
    ceph = retriever.search("restart the daemon", k=5, services=["ceph"])
    assert ceph and {r.source for r in ceph} <= {"ceph-osd.rst", "osd-restart-ru.md"}


def test_alert_named_documents_come_first(retriever: Retriever) -> None:
    # The query text is about disks, but the alert names the crash-loop runbook by file name.
    alert = AlertQuery(name="KubePodCrashLooping", summary="filesystem almost full", description="df shows 99%")
    results = retriever.for_alert(alert, k=3)
    assert results[0].source == "KubePodCrashLooping.md" and results[0].match == "alert"
    assert results[1].source == "disk-full.md" and results[1].match == "hybrid"
    assert all(r.doc_type != "postmortem" for r in results)
    # front-matter alerts and runbook_url match too
    by_front_matter = retriever.for_alert(AlertQuery(name="NodeFilesystemSpaceFillingUp"), k=1)
    assert by_front_matter[0].source == "disk-full.md"
    assert by_front_matter[0].url == "https://wiki.example.internal/runbooks/disk-full"
    by_url = retriever.for_alert(AlertQuery(name="Renamed", runbook_url="https://runbooks/x/redis-memory"), k=1)
    assert by_url[0].source == "redis-memory.md" and by_url[0].match == "alert"


def test_similar_postmortems_are_retrieved_separately(retriever: Retriever) -> None:
    alert = AlertQuery(name="RedisOutOfMemory", summary="Redis is out of memory", description="evicted keys growing")
    seen = retriever.similar_postmortems(alert, k=1)
    assert [r.source for r in seen] == ["2024-03-redis-outage.md"]
    assert retriever.similar_postmortems(alert, k=0) == []


def test_empty_store_answers_nothing(store_settings: KnowledgeSettings, tmp_path: Path) -> None:
    store = open_store(store_settings, tmp_path / "empty")
    try:
        assert Retriever(store, HashEmbedder()).search("anything") == []
        assert store.stats().chunks == 0
    finally:
        store.close()


def test_edge_readers_see_a_later_ingest_and_writers_are_exclusive(tmp_path: Path, corpus: Path) -> None:
    settings = KnowledgeSettings(store="edge", collection="shared")
    embedder = HashEmbedder()
    writer = open_store(settings, tmp_path, write=True)
    Ingestor(writer, embedder).run(sources(corpus)[:1])
    reader = open_store(settings, tmp_path)  # another process would do the same: no WAL, no lock
    try:
        assert reader.stats().files == 4
        with pytest.raises(StoreError, match="another ingest"):
            open_store(settings, tmp_path, write=True)
        Ingestor(writer, embedder).run(sources(corpus))
        assert reader.stats().files == 7  # the reader reloaded after the writer's commit
    finally:
        writer.close()
        reader.close()


def test_symptoms_from_front_matter_reach_the_search_results(writer: Store, tmp_path: Path) -> None:
    folder = tmp_path / "seen"
    folder.mkdir()
    (folder / "clock.md").write_text("---\ntitle: Clock\nsymptoms:\n  - certificate is not yet valid\n"
                                     "  - \"chronyc: no selectable sources\"\n---\n# Clock\n\n## First checks\n\n"
                                     "- `timedatectl`: whether the clock is synchronised.\n")
    Ingestor(writer, HashEmbedder()).run([IngestSource(path=folder, doc_type="runbook")])
    hits = Retriever(writer, HashEmbedder()).search("selectable sources", k=1)
    assert hits[0].symptoms == ["certificate is not yet valid", "chronyc: no selectable sources"]
