"""Incremental ingestion: files -> documents -> chunks -> dense + sparse vectors -> the store.

Each file is identified by (root, source): root is the PATH given (resolved), source the file's
path relative to it. A file's hash covers its bytes and everything that shapes its chunks (chunker
version, chunk size, embedding model, doc type given), so an unchanged file costs one hash and
nothing else; a changed file has its chunks replaced; a file gone from the folder is deleted.
"""

from __future__ import annotations

import hashlib
import sys
import time
import uuid
from pathlib import Path

from pydantic import BaseModel, Field
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from knowledge.chunking import CHUNKER_VERSION, Chunk, TokenCounter, chunk_document
from knowledge.config import DocType
from knowledge.documents import SUFFIXES, Document, DocumentError, guess_doc_type, parse_document
from knowledge.embeddings import Embedder
from knowledge.errors import KnowledgeError
from knowledge.gitrepo import branch_url, checkout_root, file_url, is_boilerplate
from knowledge.sparse import document_vector
from knowledge.store import Point, Store

POINT_NAMESPACE = uuid.UUID("5b0c2f0e-8d3a-4f57-9a59-3f1f6f0c6b11")
PROGRESS_MIN_CHUNKS = 64  # smaller runs finish before a bar would be readable


class IngestError(KnowledgeError, ValueError):
    """A PATH that cannot be ingested (missing, not Markdown/RST)."""


class IngestSource(BaseModel):
    path: Path
    doc_type: DocType | None = None
    root: str | None = Field(None, description="identity of this source in the store; default: the resolved path")

    @property
    def root_key(self) -> str:
        return self.root or str(self.path.resolve())


class IngestSummary(BaseModel):
    files: int = 0
    files_unchanged: int = 0
    files_added: int = 0
    files_changed: int = 0
    files_removed: int = 0
    chunks_added: int = 0
    chunks_changed: int = 0
    chunks_removed: int = 0
    seconds: float = 0.0
    errors: list[str] = Field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.files_added or self.files_changed or self.files_removed)

    def line(self) -> str:
        text = (
            f"{self.files} files ({self.files_added} new, {self.files_changed} changed, "
            f"{self.files_removed} removed, {self.files_unchanged} unchanged); chunks {self.chunks_added} added, "
            f"{self.chunks_changed} changed, {self.chunks_removed} removed; {self.seconds:.1f} s"
        )
        return text + (f"; {len(self.errors)} files skipped" if self.errors else "")


class _Pending(BaseModel):
    root: str
    source: str
    file_hash: str
    document: Document
    chunks: list[Chunk]
    old_chunks: int | None


def list_files(path: Path) -> list[tuple[Path, str]]:
    """(file, source) pairs under PATH; a single file is its own source. Hidden folders are skipped."""
    if path.is_file():
        return [(path, path.name)]
    if not path.is_dir():
        raise IngestError(f"{path}: no such file or directory")
    found = []
    for file in sorted(path.rglob("*")):
        relative = file.relative_to(path)
        if file.suffix.lower() in SUFFIXES and file.is_file() and not any(p.startswith(".") for p in relative.parts):
            found.append((file, relative.as_posix()))
    return found


def point_id(root: str, source: str, index: int) -> str:
    return str(uuid.uuid5(POINT_NAMESPACE, f"{root}\x1f{source}\x1f{index}"))


class Ingestor:
    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        *,
        max_tokens: int = 256,
        overlap: int = 32,
        batch_size: int = 32,
        count: TokenCounter | None = None,
        progress: bool = False,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.max_tokens = max_tokens
        self.overlap = overlap
        self.batch_size = batch_size
        self.count = count
        self.progress = progress

    def run(self, sources: list[IngestSource]) -> IngestSummary:
        started = time.monotonic()
        summary = IngestSummary()
        listed = [(source, list_files(source.path)) for source in sources]  # fail on a bad PATH before writing
        self.store.prepare(self.embedder.dim)
        pending: list[_Pending] = []
        for source, files in listed:
            pending += self._plan(source, files, summary)
        self._write(pending, summary)
        if summary.changed:
            self.store.commit()
        summary.seconds = round(time.monotonic() - started, 2)
        return summary

    def _fingerprint(self, data: bytes, doc_type: DocType | None, link_base: str = "") -> str:
        shape = f"{CHUNKER_VERSION}|{self.max_tokens}|{self.overlap}|{self.embedder.name}|{doc_type or ''}"
        shape += f"|{link_base}" if link_base else ""  # files outside a git checkout keep their hash
        return hashlib.sha256(shape.encode() + b"\0" + data).hexdigest()

    def _plan(self, source: IngestSource, files: list[tuple[Path, str]], summary: IngestSummary) -> list[_Pending]:
        root = source.root_key
        indexed = self.store.files(root)
        present: set[str] = set()
        pending: list[_Pending] = []
        checkout = checkout_root(source.path)  # a git checkout: skip its furniture, link files to its web view
        link_base = (branch_url(checkout) or "") if checkout else ""
        for file, name in files:
            if checkout and is_boilerplate(checkout, file):
                continue
            summary.files += 1
            present.add(name)
            try:
                data = file.read_bytes()
                file_hash = self._fingerprint(data, source.doc_type, link_base)
                old = indexed.get(name)
                if old is not None and old.file_hash == file_hash:
                    summary.files_unchanged += 1
                    continue
                guess = source.doc_type or guess_doc_type(f"{source.path.as_posix()}/{name}")
                document = parse_document(data.decode("utf-8"), name, doc_type=guess)
                if document.url is None and checkout and link_base:
                    document.url = file_url(link_base, checkout, file)
            except (OSError, UnicodeDecodeError, DocumentError) as exc:
                summary.errors.append(f"{file}: {exc}")  # what was indexed before stays
                continue
            chunks = chunk_document(document, max_tokens=self.max_tokens, overlap=self.overlap, count=self.count)
            if not chunks and old is None:
                continue  # an empty file: nothing to index, nothing to forget
            pending.append(_Pending(
                root=root, source=name, file_hash=file_hash, document=document, chunks=chunks,
                old_chunks=old.chunks if old else None,
            ))
        removed = sorted(set(indexed) - present)
        if removed:
            self.store.delete_files(root, removed)
            summary.files_removed += len(removed)
            summary.chunks_removed += sum(indexed[name].chunks for name in removed)
        return pending

    def _write(self, pending: list[_Pending], summary: IngestSummary) -> None:
        total = sum(len(p.chunks) for p in pending)
        show = self.progress and total >= PROGRESS_MIN_CHUNKS
        columns = (
            TextColumn("embedding"), BarColumn(), MofNCompleteColumn(), TextColumn("chunks"), TimeRemainingColumn()
        )
        with Progress(*columns, console=Console(file=sys.stderr), transient=True, disable=not show) as bar:
            task = bar.add_task("embed", total=total)
            batch: list[_Pending] = []
            for item in pending:
                batch.append(item)
                if sum(len(p.chunks) for p in batch) >= self.batch_size * 4:
                    self._flush(batch, summary)
                    bar.advance(task, sum(len(p.chunks) for p in batch))
                    batch = []
            if batch:
                self._flush(batch, summary)
                bar.advance(task, sum(len(p.chunks) for p in batch))

    def _flush(self, batch: list[_Pending], summary: IngestSummary) -> None:
        """Embed several files' chunks together (fewer, fuller model calls), then write file by file."""
        chunks = [c for item in batch for c in item.chunks]
        vectors = self.embedder.embed([c.embed_text for c in chunks])
        offset = 0
        for item in batch:
            doc = item.document
            points = []
            for chunk in item.chunks:
                sparse_text = f"{chunk.embed_text}\n{doc.search_terms}\n{' '.join(doc.symptoms)}"
                points.append(Point(
                    id=point_id(item.root, item.source, chunk.index),
                    dense=vectors[offset],
                    sparse=document_vector(sparse_text),
                    payload={
                        "root": item.root, "source": item.source, "title": doc.title, "section": chunk.section,
                        "text": chunk.text, "doc_type": doc.doc_type, "alerts": doc.alerts, "services": doc.services,
                        "keys": doc.keys, "url": doc.url, "terms": doc.search_terms, "symptoms": doc.symptoms,
                        "file_hash": item.file_hash,
                        "chunk_hash": chunk.hash,
                        "index": chunk.index, "chunks": len(item.chunks),
                    },
                ))
                offset += 1
            if item.old_chunks is None:
                summary.files_added += 1
                summary.chunks_added += len(points)
            else:
                self.store.delete_files(item.root, [item.source])
                summary.files_changed += 1
                summary.chunks_changed += len(points)
                summary.chunks_removed += max(0, item.old_chunks - len(points))
            if points:
                self.store.upsert(points)
