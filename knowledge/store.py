"""The vector store interface both Qdrant backends implement, and the factory that picks one.

One collection holds every chunk with two named vectors: `dense` (cosine) and `sparse` (BM25
weights, IDF applied by Qdrant). A hybrid search is a single Query API call: one prefetch per
vector, fused with reciprocal-rank fusion, filtered by payload (doc_type, services, alert keys).

Backends: `edge` (Qdrant Edge, Qdrant's engine in process; the embedded default), `local`
(qdrant-client on a path: pure Python, one process at a time, fine for small corpora) and
`server` (qdrant-client against a Qdrant server URL, for many machines); `knowledge.backends`
is the registry that opens them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, Field

from knowledge.errors import KnowledgeError
from knowledge.sparse import SparseVector

DENSE = "dense"
SPARSE = "sparse"
INDEXED_FIELDS = ("root", "source", "doc_type", "services", "keys")


class StoreError(KnowledgeError, RuntimeError):
    """The store cannot be opened or used; the message says which and why."""


class Point(BaseModel):
    id: str
    dense: list[float]
    sparse: SparseVector
    payload: dict[str, Any]


class Hit(BaseModel):
    id: str
    score: float
    payload: dict[str, Any]
    dense: list[float] | None = Field(None, description="the chunk's dense vector, for the relevance floor")


class FileState(BaseModel):
    file_hash: str
    chunks: int


class SearchFilter(BaseModel):
    """Payload conditions; empty lists mean no condition. Values within a list are alternatives."""

    doc_types: list[str] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)
    keys: list[str] = Field(default_factory=list)
    roots: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)

    def conditions(self) -> dict[str, list[str]]:
        found = {"doc_type": self.doc_types, "services": self.services, "keys": self.keys, "root": self.roots,
                 "source": self.sources}
        return {field: values for field, values in found.items() if values}


class StoreStats(BaseModel):
    backend: str
    collection: str
    chunks: int
    files: int
    by_doc_type: dict[str, int]
    by_root: dict[str, int]


class Store(Protocol):
    backend: str

    def prepare(self, dim: int) -> None:
        """Create the collection if missing; recreate it (empty) if its dense size differs."""
        ...

    def files(self, root: str) -> dict[str, FileState]:
        """What is indexed under `root`: source -> file hash and chunk count."""
        ...

    def upsert(self, points: list[Point]) -> None: ...

    def delete_files(self, root: str, sources: list[str]) -> None: ...

    def search(self, dense: list[float], sparse: SparseVector, limit: int, flt: SearchFilter) -> list[Hit]:
        """Hybrid: dense and sparse prefetch fused with RRF, one call."""
        ...

    def stats(self) -> StoreStats: ...

    def commit(self) -> None:
        """Make writes durable and visible to readers in other processes."""
        ...

    def close(self) -> None: ...


def prefetch_limit(limit: int) -> int:
    """Candidates each side contributes to the fusion: enough depth for RRF to matter."""
    return max(50, limit * 5)


def store_dir(data_dir: Path) -> Path:
    return data_dir / "qdrant"
