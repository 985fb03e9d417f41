"""qdrant-client backend: a Qdrant server by URL, or qdrant-client's local mode on a path.

Local mode is pure Python without an index (fine for hundreds of documents, slow past ~20k
chunks) and locks its path to one process; a server scales to many machines.
"""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path
from typing import Any

from knowledge.sparse import SparseVector
from knowledge.store import (
    DENSE,
    INDEXED_FIELDS,
    SPARSE,
    FileState,
    Hit,
    Point,
    SearchFilter,
    StoreError,
    StoreStats,
    prefetch_limit,
)

SCROLL_PAGE = 1000


class QdrantClientStore:
    def __init__(self, client: Any, collection: str, backend: str) -> None:
        from qdrant_client import models

        self._m = models
        self.client = client
        self.collection = collection
        self.backend = backend

    @classmethod
    def server(cls, url: str, collection: str, *, api_key: str | None = None) -> QdrantClientStore:
        from qdrant_client import QdrantClient

        return cls(QdrantClient(url=url, api_key=api_key, timeout=10), collection, "server")

    @classmethod
    def local(cls, path: Path, collection: str) -> QdrantClientStore:
        from qdrant_client import QdrantClient

        path.mkdir(parents=True, exist_ok=True)
        try:
            client = QdrantClient(path=str(path))
        except RuntimeError as exc:  # "Storage folder ... is already accessed by another instance"
            raise StoreError(f"{path}: {exc}") from None
        return cls(client, collection, "local")

    def _exists(self) -> bool:
        try:
            return bool(self.client.collection_exists(self.collection))
        except Exception as exc:  # connection errors come in several client-specific types
            raise StoreError(f"Qdrant ({self.backend}): {type(exc).__name__}: {exc}") from None

    def prepare(self, dim: int) -> None:
        m = self._m
        if self._exists():
            vectors = self.client.get_collection(self.collection).config.params.vectors
            if isinstance(vectors, dict) and DENSE in vectors and vectors[DENSE].size == dim:
                return
            self.client.delete_collection(self.collection)
        self.client.create_collection(
            self.collection,
            vectors_config={DENSE: m.VectorParams(size=dim, distance=m.Distance.COSINE)},
            sparse_vectors_config={SPARSE: m.SparseVectorParams(modifier=m.Modifier.IDF)},
        )
        with warnings.catch_warnings():  # local mode warns that payload indexes are a no-op there
            warnings.simplefilter("ignore")
            for field in INDEXED_FIELDS:
                self.client.create_payload_index(self.collection, field, m.PayloadSchemaType.KEYWORD)

    def upsert(self, points: list[Point]) -> None:
        m = self._m
        self.client.upsert(self.collection, points=[
            m.PointStruct(
                id=p.id,
                vector={DENSE: p.dense, SPARSE: m.SparseVector(indices=p.sparse.indices, values=p.sparse.values)},
                payload=p.payload,
            )
            for p in points
        ])

    def delete_files(self, root: str, sources: list[str]) -> None:
        if sources:
            selector = m_filter(self._m, {"root": [root], "source": sources})
            self.client.delete(self.collection, points_selector=self._m.FilterSelector(filter=selector))

    def _scroll(self, conditions: dict[str, list[str]], fields: list[str]) -> list[dict[str, Any]]:
        if not self._exists():
            return []
        payloads: list[dict[str, Any]] = []
        offset = None
        while True:
            records, offset = self.client.scroll(
                self.collection, scroll_filter=m_filter(self._m, conditions), limit=SCROLL_PAGE,
                offset=offset, with_payload=fields,
            )
            payloads.extend(r.payload or {} for r in records)
            if offset is None:
                return payloads

    def files(self, root: str) -> dict[str, FileState]:
        return {
            p["source"]: FileState(file_hash=p["file_hash"], chunks=p["chunks"])
            for p in self._scroll({"root": [root]}, ["source", "file_hash", "chunks"])
        }

    def search(self, dense: list[float], sparse: SparseVector, limit: int, flt: SearchFilter) -> list[Hit]:
        m = self._m
        if not self._exists():
            return []
        payload_filter = m_filter(m, flt.conditions())
        depth = prefetch_limit(limit)
        # The query filter applies to the prefetches too; repeating it there costs local mode (which
        # checks payloads in Python, point by point) a second full pass.
        prefetch = [m.Prefetch(query=dense, using=DENSE, limit=depth)]
        if sparse.indices:
            prefetch.append(m.Prefetch(
                query=m.SparseVector(indices=sparse.indices, values=sparse.values), using=SPARSE, limit=depth,
            ))
        response = self.client.query_points(
            self.collection, prefetch=prefetch, query=m.FusionQuery(fusion=m.Fusion.RRF),
            query_filter=payload_filter, limit=limit, with_payload=True, with_vectors=[DENSE],
        )
        return [Hit(id=str(p.id), score=float(p.score), payload=p.payload or {},
                    dense=p.vector.get(DENSE) if isinstance(p.vector, dict) else None) for p in response.points]

    def stats(self) -> StoreStats:
        rows = self._scroll({}, ["doc_type", "root", "source"])
        return StoreStats(
            backend=self.backend,
            collection=self.collection,
            chunks=len(rows),
            files=len({(r.get("root"), r.get("source")) for r in rows}),
            by_doc_type=dict(Counter(str(r.get("doc_type")) for r in rows)),
            by_root=dict(Counter(str(r.get("root")) for r in rows)),
        )

    def commit(self) -> None:
        """Writes are durable when the client call returns, in both modes."""

    def close(self) -> None:
        self.client.close()


def m_filter(m: Any, conditions: dict[str, list[str]]) -> Any:
    must = [
        m.FieldCondition(key=k, match=m.MatchValue(value=v[0]) if len(v) == 1 else m.MatchAny(any=v))
        for k, v in conditions.items()
    ]
    return m.Filter(must=must) if must else None
