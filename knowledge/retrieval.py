"""Retrieval: free-text hybrid search, and alert-aware retrieval for triage.

For an alert, documents that name it come first: front matter `alerts`, the file name or the
title equal to the alert name (compared without case or punctuation), or the last segment of its
`runbook_url`. Then the hybrid results for a query built from the alert (name split into words,
summary, description, key labels, the metric names of its expression). Post-mortems are retrieved
separately so a card can say "seen before". Results are one per document, best chunk first.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from knowledge.documents import name_key, url_key
from knowledge.embeddings import Embedder
from knowledge.sparse import SparseVector, query_vector
from knowledge.store import Hit, SearchFilter, Store

Match = Literal["alert", "hybrid"]
QUERY_LABELS = ("service", "job", "container", "reason", "type", "severity")
OVERFETCH = 4  # chunks fetched per wanted document, so one long document cannot crowd out the rest
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_METRIC = re.compile(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*_[a-zA-Z0-9_:]+\b")
_PROMQL_WORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless"})


class SearchResult(BaseModel):
    source: str
    title: str
    section: str
    score: float
    text: str
    doc_type: str
    url: str | None = None
    match: Match = "hybrid"

    def public(self) -> dict[str, object]:
        """The fields `opsbot knowledge search --json` prints."""
        return {"source": self.source, "title": self.title, "section": self.section,
                "score": self.score, "text": self.text}


class AlertQuery(BaseModel):
    """What triage knows about an alert, as plain fields (built from an Alertmanager group)."""

    name: str = ""
    summary: str = ""
    description: str = ""
    labels: dict[str, str] = Field(default_factory=dict)
    expression: str = ""
    runbook_url: str = ""

    def keys(self) -> list[str]:
        keys = [name_key(self.name)] if self.name else []
        if self.runbook_url:
            keys.append(url_key(self.runbook_url))
        return [k for k in dict.fromkeys(keys) if k]

    def text(self) -> str:
        """The retrieval query: words a runbook about this alert would use."""
        parts = [split_identifier(self.name), self.summary, self.description]
        parts += [self.labels[k] for k in QUERY_LABELS if self.labels.get(k) and k != "severity"]
        metrics = [m for m in _METRIC.findall(self.expression) if m not in _PROMQL_WORDS]
        parts.append(" ".join(dict.fromkeys(metrics)))
        return "\n".join(p for p in parts if p)


def split_identifier(name: str) -> str:
    """`KubePodCrashLooping` -> `Kube Pod Crash Looping` (the dense model reads words, not camel case)."""
    return _CAMEL.sub(" ", name).replace("_", " ")


def _result(hit: Hit, match: Match) -> SearchResult:
    p = hit.payload
    return SearchResult(
        source=str(p.get("source", "")), title=str(p.get("title", "")), section=str(p.get("section", "")),
        score=round(hit.score, 4), text=str(p.get("text", "")), doc_type=str(p.get("doc_type", "")),
        url=p.get("url") or None, match=match,
    )


def _best_per_document(hits: list[Hit], k: int, match: Match, seen: set[tuple[str, str]]) -> list[SearchResult]:
    results: list[SearchResult] = []
    for hit in hits:
        key = (str(hit.payload.get("root")), str(hit.payload.get("source")))
        if key in seen:
            continue
        seen.add(key)
        results.append(_result(hit, match))
        if len(results) == k:
            break
    return results


class Retriever:
    def __init__(self, store: Store, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder

    def vectors(self, text: str) -> tuple[list[float], SparseVector]:
        return self.embedder.embed([text])[0], query_vector(text)

    def search(
        self, query: str, k: int = 5, *, doc_types: list[str] | None = None, services: list[str] | None = None
    ) -> list[SearchResult]:
        dense, sparse = self.vectors(query)
        flt = SearchFilter(doc_types=doc_types or [], services=services or [])
        return _best_per_document(self.store.search(dense, sparse, k * OVERFETCH, flt), k, "hybrid", set())

    def for_alert(
        self, alert: AlertQuery, k: int = 3, *, doc_types: list[str] | None = None,
        vectors: tuple[list[float], SparseVector] | None = None,
    ) -> list[SearchResult]:
        """Documents naming the alert first (best chunk each), then hybrid results."""
        doc_types = doc_types if doc_types is not None else ["runbook", "doc"]
        dense, sparse = vectors or self.vectors(alert.text())
        seen: set[tuple[str, str]] = set()
        results: list[SearchResult] = []
        keys = alert.keys()
        if keys:
            named = SearchFilter(doc_types=doc_types, keys=keys)
            results += _best_per_document(self.store.search(dense, sparse, k * OVERFETCH, named), k, "alert", seen)
        if len(results) < k:
            hits = self.store.search(dense, sparse, k * OVERFETCH, SearchFilter(doc_types=doc_types))
            results += _best_per_document(hits, k - len(results), "hybrid", seen)
        return results

    def similar_postmortems(
        self, alert: AlertQuery, k: int = 2, *, vectors: tuple[list[float], SparseVector] | None = None
    ) -> list[SearchResult]:
        return self.for_alert(alert, k, doc_types=["postmortem"], vectors=vectors) if k else []

    def triage(
        self, alert: AlertQuery, k: int = 3, postmortems_k: int = 2
    ) -> tuple[list[SearchResult], list[SearchResult]]:
        """Runbooks/docs and similar post-mortems for one alert, embedding its query once."""
        vectors = self.vectors(alert.text())
        return (
            self.for_alert(alert, k, vectors=vectors),
            self.similar_postmortems(alert, postmortems_k, vectors=vectors),
        )
