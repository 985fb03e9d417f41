"""Qdrant Edge backend: Qdrant's Rust engine in this process, on a directory under the data dir.

Several processes (web, workers, a CLI search) read the index while an ingest may write it, and
an Edge shard must not be written while another process has it open. So the collection directory
holds immutable versions: a writer (one at a time, under a file lock) copies the current version
to a new directory, writes there, optimises and flushes it, then switches the `current` pointer
with an atomic rename. Readers check the pointer before each search and load the new version when
it moved (a few milliseconds). A failed ingest leaves the published version untouched.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import threading
from collections import Counter
from pathlib import Path
from typing import IO, Any

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
KEEP_VERSIONS = 2  # the current one and the one before it (a reader may still be loading it)


class EdgeStore:
    backend = "edge"

    def __init__(self, path: Path, collection: str, *, write: bool = False) -> None:
        import qdrant_edge as qe

        self._qe = qe
        self.path = path
        self.collection = collection
        self._pointer = path / "current"
        self._lock_file: IO[str] | None = None
        self._shard: Any = None  # the published version (readers) or the working copy (a writer)
        self._version = ""
        self._working = False
        self._reload_lock = threading.Lock()
        if write:
            path.mkdir(parents=True, exist_ok=True)
            self._lock_file = (path / "writer.lock").open("w")
            try:
                fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self._lock_file.close()
                raise StoreError(f"{path}: another ingest is writing this collection") from None

    # -- versions ------------------------------------------------------------------------------
    def _published(self) -> str:
        try:
            return self._pointer.read_text().strip()
        except OSError:
            return ""

    def _load(self, version: str) -> Any:
        try:
            return self._qe.EdgeShard.load(str(self.path / version))
        except Exception as exc:  # the engine raises plain Exception with its own message
            raise StoreError(f"{self.path / version}: cannot open Qdrant Edge shard: {exc}") from None

    def _fresh(self) -> Any:
        """The shard to read: the working copy while writing, else the latest published version."""
        if self._working:
            return self._shard
        version = self._published()
        if version != self._version:
            with self._reload_lock:
                if version != self._version:
                    old, self._shard = self._shard, (self._load(version) if version else None)
                    self._version = version
                    if old is not None:
                        old.close()
        return self._shard

    def _meta(self) -> dict[str, Any]:
        version = self._published()
        meta = self.path / version / "opsbot.json"
        return json.loads(meta.read_text()) if version and meta.is_file() else {}

    def _begin(self, *, empty_dim: int | None = None) -> Any:
        """Start a new version: a copy of the published one, or an empty shard of `empty_dim`."""
        if self._lock_file is None:
            raise StoreError(f"{self.path}: opened read-only")
        if self._working:
            return self._shard
        qe = self._qe
        current = self._published()
        number = int(current[1:]) + 1 if current else 1
        version = f"v{number:06d}"
        target = self.path / version
        shutil.rmtree(target, ignore_errors=True)  # left over by a crashed ingest
        if self._shard is not None:
            self._shard.close()
            self._shard = None
        if empty_dim is None and current:
            shutil.copytree(self.path / current, target)
            shard = self._load(version)
            dim = self._meta()["dim"]
        else:
            dim = empty_dim or 0
            config = qe.EdgeConfig(
                vectors={DENSE: qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine)},
                sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
                wal_enabled=False,  # a WAL locks the shard to one process; versions are flushed whole
            )
            shard = qe.EdgeShard.create(str(target), config)
            for field in INDEXED_FIELDS:
                shard.update(qe.UpdateOperation.create_field_index(field, qe.PayloadSchemaType.Keyword))
        (target / "opsbot.json").write_text(json.dumps({"dim": dim, "collection": self.collection}))
        self._shard, self._version, self._working = shard, version, True
        return shard

    def prepare(self, dim: int) -> None:
        if self._meta().get("dim") != dim:
            self._begin(empty_dim=dim)

    def commit(self) -> None:
        """Optimise and flush the working copy, then publish it with an atomic rename."""
        if not self._working:
            return
        self._shard.optimize()
        self._shard.flush()
        tmp = self.path / "current.tmp"
        tmp.write_text(self._version)
        os.replace(tmp, self._pointer)
        self._working = False
        versions = sorted(p.name for p in self.path.glob("v[0-9]*") if p.is_dir())
        for old in versions[:-KEEP_VERSIONS]:
            shutil.rmtree(self.path / old, ignore_errors=True)

    def close(self) -> None:
        if self._shard is not None:
            self._shard.close()
            self._shard = None
        if self._working:  # never committed: drop the unfinished version
            shutil.rmtree(self.path / self._version, ignore_errors=True)
            self._working = False
        if self._lock_file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    # -- writes --------------------------------------------------------------------------------
    def _writable(self) -> Any:
        if not self._working and not self._published():
            raise StoreError(f"{self.path}: collection not prepared")
        return self._begin()

    def upsert(self, points: list[Point]) -> None:
        qe = self._qe
        self._writable().update(qe.UpdateOperation.upsert_points([
            qe.Point(
                id=p.id,
                vector={DENSE: p.dense, SPARSE: qe.SparseVector(indices=p.sparse.indices, values=p.sparse.values)},
                payload=p.payload,
            )
            for p in points
        ]))

    def delete_files(self, root: str, sources: list[str]) -> None:
        if not sources:
            return
        flt = self._filter({"root": [root], "source": sources})
        self._writable().update(self._qe.UpdateOperation.delete_points_by_filter(flt))

    # -- reads ---------------------------------------------------------------------------------
    def _filter(self, conditions: dict[str, list[str]]) -> Any:
        qe = self._qe
        must = [
            qe.FieldCondition(key=k, match=qe.MatchValue(v[0]) if len(v) == 1 else qe.MatchAny(v))
            for k, v in conditions.items()
        ]
        return qe.Filter(must=must) if must else None

    def _scroll(self, conditions: dict[str, list[str]], fields: list[str]) -> list[dict[str, Any]]:
        shard = self._fresh()
        if shard is None:
            return []
        qe = self._qe
        payloads: list[dict[str, Any]] = []
        offset = None
        while True:
            records, offset = shard.scroll(qe.ScrollRequest(
                offset=offset, limit=SCROLL_PAGE, filter=self._filter(conditions), with_payload=fields
            ))
            payloads.extend(r.payload or {} for r in records)
            if offset is None:
                return payloads

    def files(self, root: str) -> dict[str, FileState]:
        found: dict[str, FileState] = {}
        for payload in self._scroll({"root": [root]}, ["source", "file_hash", "chunks"]):
            found[payload["source"]] = FileState(file_hash=payload["file_hash"], chunks=payload["chunks"])
        return found

    def search(self, dense: list[float], sparse: SparseVector, limit: int, flt: SearchFilter) -> list[Hit]:
        shard = self._fresh()
        if shard is None:
            return []
        qe = self._qe
        payload_filter = self._filter(flt.conditions())
        depth = prefetch_limit(limit)
        prefetches = [qe.Prefetch(limit=depth, query=qe.Query.Nearest(dense, using=DENSE), filter=payload_filter)]
        if sparse.indices:
            query = qe.SparseVector(indices=sparse.indices, values=sparse.values)
            prefetches.append(
                qe.Prefetch(limit=depth, query=qe.Query.Nearest(query, using=SPARSE), filter=payload_filter)
            )
        request = qe.QueryRequest(
            limit=limit, prefetches=prefetches, query=qe.Fusion.Rrf(k=60), filter=payload_filter, with_payload=True,
            with_vector=[DENSE],  # the retriever's relevance floor is the cosine to the query
        )
        try:
            points = shard.query(request)
        except Exception as exc:  # the engine raises plain Exception with its own message
            raise StoreError(f"{self.path}: Qdrant Edge query failed: {exc}") from None
        return [Hit(id=str(p.id), score=float(p.score), payload=p.payload or {}, dense=_dense(p.vector))
                for p in points]

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


def _dense(vectors: Any) -> list[float] | None:
    found = vectors.get(DENSE) if isinstance(vectors, dict) else None
    return [float(x) for x in found] if found is not None else None
