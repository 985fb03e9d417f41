"""The store backend registry: `knowledge.store` (edge, local, server) names one entry here.

Each backend says how to open it and how to tell, cheaply (no Qdrant import), whether anything
was ever ingested into it. The backends' modules are imported only when one is opened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from knowledge.config import KnowledgeSettings
from knowledge.store import Store, store_dir


@dataclass(frozen=True)
class StoreBackend:
    open: Callable[[KnowledgeSettings, Path, bool], Store]  # (settings, data_dir, write) -> Store
    has_index: Callable[[KnowledgeSettings, Path], bool]


def _open_edge(settings: KnowledgeSettings, data_dir: Path, write: bool) -> Store:
    from knowledge.store_edge import EdgeStore

    return EdgeStore(_edge_dir(settings, data_dir), settings.collection, write=write)


def _edge_dir(settings: KnowledgeSettings, data_dir: Path) -> Path:
    return store_dir(data_dir) / "edge" / settings.collection


def _open_local(settings: KnowledgeSettings, data_dir: Path, write: bool) -> Store:
    from knowledge.store_qdrant import QdrantClientStore

    return QdrantClientStore.local(store_dir(data_dir) / "local", settings.collection)


def _open_server(settings: KnowledgeSettings, data_dir: Path, write: bool) -> Store:
    from knowledge.store_qdrant import QdrantClientStore

    key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
    return QdrantClientStore.server(settings.qdrant_url, settings.collection, api_key=key)


STORE_BACKENDS: dict[str, StoreBackend] = {
    "edge": StoreBackend(open=_open_edge, has_index=lambda s, d: (_edge_dir(s, d) / "current").is_file()),
    "local": StoreBackend(open=_open_local, has_index=lambda s, d: (store_dir(d) / "local").is_dir()),
    "server": StoreBackend(open=_open_server, has_index=lambda s, d: True),  # only the server knows: ask it
}


def open_store(settings: KnowledgeSettings, data_dir: Path, *, write: bool = False) -> Store:
    """Open the configured backend. `write` takes the writer lock (one ingest at a time)."""
    return STORE_BACKENDS[settings.store].open(settings, data_dir, write)


def has_index(settings: KnowledgeSettings, data_dir: Path) -> bool:
    return STORE_BACKENDS[settings.store].has_index(settings, data_dir)
