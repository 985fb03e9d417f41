"""Entry points the rest of opsbot calls: ingest at start, and a per-process retriever for triage.

Everything here takes a `KnowledgeNeeds` (any settings object with `data_dir` and `knowledge`); the heavy imports
(torch, sentence-transformers, Qdrant) happen inside the functions that need them, so importing
this module costs nothing in the web process.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

from knowledge.backends import has_index, open_store
from knowledge.config import DocType, KnowledgeSettings
from knowledge.embeddings import Embedder, build_embedder
from knowledge.ingest import IngestSource, IngestSummary
from knowledge.retrieval import Retriever

BUNDLED_ROOT = "opsbot:bundled-runbooks"


class KnowledgeNeeds(Protocol):
    """The part of the settings the knowledge service reads: where state lives and how to index."""

    @property
    def data_dir(self) -> Path: ...

    @property
    def knowledge(self) -> KnowledgeSettings: ...


def bundled_runbooks_dir() -> Path:
    return Path(__file__).resolve().parent / "runbooks"


def configured_sources(knowledge: KnowledgeSettings) -> list[IngestSource]:
    """The bundled runbooks (unless disabled) and every configured folder."""
    sources = []
    if knowledge.bundled_runbooks:
        sources.append(IngestSource(path=bundled_runbooks_dir(), doc_type="runbook", root=BUNDLED_ROOT))
    sources += [IngestSource(path=f.path, doc_type=f.doc_type) for f in knowledge.folders]
    return sources


def ingest(
    knowledge: KnowledgeSettings, data_dir: Path, sources: list[IngestSource], *,
    embedder: Embedder | None = None, progress: bool = False,
) -> IngestSummary:
    from knowledge.ingest import Ingestor

    embedder = embedder or _shared_embedder(knowledge)
    store = open_store(knowledge, data_dir, write=True)
    try:
        ingestor = Ingestor(
            store, embedder, max_tokens=knowledge.chunk_tokens, overlap=knowledge.chunk_overlap,
            batch_size=knowledge.batch_size, progress=progress,
        )
        return ingestor.run(sources)
    finally:
        store.close()


def ensure_ingested(settings: KnowledgeNeeds) -> IngestSummary:
    """Bring the index up to date with the bundled runbooks and configured folders (fast when unchanged).

    Raises `KnowledgeError` (a missing folder, the model or store unavailable); a caller starting
    the bot should log it and go on: triage works without citations.
    """
    if not settings.knowledge.enabled:
        return IngestSummary()
    return ingest(settings.knowledge, settings.data_dir, configured_sources(settings.knowledge))


def ingest_paths(
    settings: KnowledgeNeeds, paths: list[Path], *, doc_type: DocType | None = None, progress: bool = False
) -> IngestSummary:
    sources = [IngestSource(path=p, doc_type=doc_type) for p in paths]
    return ingest(settings.knowledge, settings.data_dir, sources, progress=progress)


_lock = threading.Lock()
_embedders: dict[str, Embedder] = {}
_retrievers: dict[tuple[str, str], Retriever] = {}
_warm: set[int] = set()


def _shared_embedder(knowledge: KnowledgeSettings) -> Embedder:
    """One model per process and configuration: loading MiniLM takes seconds, embedding a query ms."""
    key = knowledge.model_dump_json(include={"embedding", "openai_url", "openai_model", "batch_size"})
    with _lock:
        if key not in _embedders:
            _embedders[key] = build_embedder(knowledge)
        return _embedders[key]


def get_retriever(settings: KnowledgeNeeds) -> Retriever:
    """The process-wide retriever for these settings (opened once, reused by every triage)."""
    knowledge = settings.knowledge
    key = (str(settings.data_dir.resolve()), knowledge.model_dump_json())
    with _lock:
        retriever = _retrievers.get(key)
    if retriever is None:
        embedder = _shared_embedder(knowledge)
        store = open_store(knowledge, settings.data_dir)
        with _lock:
            retriever = _retrievers.setdefault(key, Retriever(store, embedder))
        if retriever.store is not store:  # another thread opened it first
            store.close()
    return retriever


def open_retriever(settings: KnowledgeNeeds) -> Retriever:
    """A retriever of its own (the caller closes `retriever.store`), for one-off commands."""
    return Retriever(open_store(settings.knowledge, settings.data_dir), _shared_embedder(settings.knowledge))


def index_exists(settings: KnowledgeNeeds) -> bool:
    """Whether anything was ever ingested here (cheap: no model, no Qdrant import)."""
    return has_index(settings.knowledge, settings.data_dir)


def warm_up(settings: KnowledgeNeeds) -> None:
    """Load the model and open the store now, so the first alert does not pay for it (once per process)."""
    retriever = get_retriever(settings)
    if id(retriever) not in _warm:
        retriever.embedder.embed(["warm up"])
        _warm.add(id(retriever))


def close_all() -> None:
    """Close every store this process opened (tests, shutdown)."""
    with _lock:
        for retriever in _retrievers.values():
            retriever.store.close()
        _retrievers.clear()
        _warm.clear()
