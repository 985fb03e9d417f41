"""Retrieval: free-text hybrid search, and alert-aware retrieval for triage.

For an alert, documents that name it come first: front matter `alerts`, the file name or the
title equal to the alert name (compared without case or punctuation), or the last segment of its
`runbook_url`. Then the hybrid results for a query built from the alert (name split into words,
summary, description, key labels, the metric names of its expression). Post-mortems are retrieved
separately so a card can say "seen before". Results are one per document, best chunk first.

Relevance floor: every result carries `similarity`, the cosine of the query's and the chunk's dense
vectors (RRF scores are ranks, not relevance). Hybrid results below `min_similarity` are dropped, so
an alert no document is about gets no citation instead of the nearest wrong one; documents that
name the alert are kept whatever their similarity. A document whose front matter lists the alerts
it is for (the bundled runbooks do) has said what it covers: for an alert not on its list it must
clear the higher `scoped` floor.

Families: when most of the first hybrid results are runbooks of alerts that one document lists (the
siblings of an alert family, such as the per-alert upstream runbooks of KubeCPUOvercommit and
KubeCPUQuotaOvercommit), that family's document goes first: it covers whichever sibling it is.
"""

from __future__ import annotations

import math
import re
from typing import Literal

from pydantic import BaseModel, Field

from knowledge.config import NO_FLOOR, Floor
from knowledge.documents import name_key, url_key
from knowledge.embeddings import Embedder
from knowledge.sparse import SparseVector, query_vector
from knowledge.store import Hit, SearchFilter, Store

Match = Literal["alert", "hybrid"]
QUERY_LABELS = ("service", "job", "container", "reason", "type", "severity")
OVERFETCH = 4  # chunks fetched per wanted document, so one long document cannot crowd out the rest
FAMILY_POOL = 6  # hybrid documents looked at for a family's document
FAMILY_VOTERS = 3  # the first results that vote: each for a document that lists its alert (or is it)
FAMILY_VOTES = 2
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
    root: str = ""
    similarity: float = 0.0
    terms: str = Field("", description="the document's alert names, codes, Russian title and synonyms")
    alerts: list[str] = Field(default_factory=list, description="the alerts its front matter lists")
    symptoms: list[str] = Field(default_factory=list, description="what its front matter says one sees")
    keys: list[str] = Field(default_factory=list, description="the names an alert matches it by")

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


def cosine(a: list[float], b: list[float]) -> float:
    norm = math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b, strict=True)) / norm if norm else 0.0


def _result(hit: Hit, match: Match, dense: list[float] | None) -> SearchResult:
    p = hit.payload
    similarity = cosine(dense, hit.dense) if dense and hit.dense and len(dense) == len(hit.dense) else 0.0
    return SearchResult(
        source=str(p.get("source", "")), title=str(p.get("title", "")), section=str(p.get("section", "")),
        score=round(hit.score, 4), text=str(p.get("text", "")), doc_type=str(p.get("doc_type", "")),
        url=p.get("url") or None, match=match, root=str(p.get("root", "")), similarity=round(similarity, 4),
        terms=str(p.get("terms", "")), alerts=[str(a) for a in p.get("alerts") or []],
        symptoms=[str(s) for s in p.get("symptoms") or []],
        keys=[str(k) for k in p.get("keys") or []],
    )


def in_order(hits: list[Hit], dense: list[float] | None) -> list[Hit]:
    """Hits best first, ties of the fused (RRF) score, which the store returns in no fixed order,
    broken by the cosine to the query, then source, section and chunk: the same query, the same order."""
    def key(hit: Hit) -> tuple[float, float, str, str, int]:
        similarity = cosine(dense, hit.dense) if dense and hit.dense and len(dense) == len(hit.dense) else 0.0
        p = hit.payload
        return (-hit.score, -similarity, str(p.get("source", "")), str(p.get("section", "")),
                int(p.get("index", 0)))
    return sorted(hits, key=key)


def _best_per_document(
    hits: list[Hit], k: int, match: Match, seen: set[tuple[str, str]], *,
    dense: list[float] | None = None, floor: Floor = NO_FLOOR,
) -> list[SearchResult]:
    """One result per document (its best-ranked chunk), at most `k`, none below `floor`."""
    results: list[SearchResult] = []
    for hit in in_order(hits, dense):
        key = (str(hit.payload.get("root")), str(hit.payload.get("source")))
        if key in seen:
            continue
        result = _result(hit, match, dense)
        if result.similarity < floor.of(hit.payload):
            continue
        seen.add(key)
        results.append(result)
        if len(results) == k:
            break
    return results


def promote_family(results: list[SearchResult]) -> list[SearchResult]:
    """The document listing the alerts most of the first results are about, first (when at least
    FAMILY_VOTES of the first FAMILY_VOTERS are it or about one of its alerts)."""
    voters = results[:FAMILY_VOTERS]
    best, most = None, FAMILY_VOTES - 1
    for candidate in results:
        listed = {name_key(a) for a in candidate.alerts}
        if not listed:
            continue
        votes = sum(1 for v in voters if v is candidate or listed & set(v.keys))
        if votes > most:
            best, most = candidate, votes
    return results if best is None else [best, *(r for r in results if r is not best)]


def join_chunks(texts: list[str]) -> str:
    """One section's chunks as one text: a continuation starts with the previous chunk's last words
    (the chunker's overlap), which are dropped here."""
    if not texts:
        return ""
    joined = texts[0]
    for text in texts[1:]:
        before, words = joined.split(), text.split()
        repeat = next((n for n in range(min(len(before), len(words), 200), 0, -1) if before[-n:] == words[:n]), 0)
        rest = re.sub(rf"^\s*(?:\S+\s+){{{repeat}}}", "", text, count=1) if repeat < len(words) else ""
        joined = f"{joined}\n{rest}".strip()
    return joined


class Retriever:
    def __init__(self, store: Store, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder

    def vectors(self, text: str) -> tuple[list[float], SparseVector]:
        return self.embedder.embed([text])[0], query_vector(text)

    def search(
        self, query: str, k: int = 5, *, doc_types: list[str] | None = None, services: list[str] | None = None,
        vectors: tuple[list[float], SparseVector] | None = None,
    ) -> list[SearchResult]:
        """Hybrid search for `query` (or for `vectors` already built from it), best chunk per document."""
        dense, sparse = vectors or self.vectors(query)
        flt = SearchFilter(doc_types=doc_types or [], services=services or [])
        return _best_per_document(self.store.search(dense, sparse, k * OVERFETCH, flt), k, "hybrid", set(),
                                  dense=dense)

    def sections_of(self, result: SearchResult, query: str, k: int = 8, *,
                    vectors: tuple[list[float], SparseVector] | None = None) -> list[SearchResult]:
        """The sections of `result`'s document, best match to `query` first, each whole: its chunks
        joined in order (without the overlap a continuation chunk repeats), so a quoted section reads
        from its beginning to its end."""
        dense, sparse = vectors or self.vectors(query)
        flt = SearchFilter(roots=[result.root], sources=[result.source])
        best: dict[str, Hit] = {}
        chunks: dict[str, dict[int, str]] = {}
        for hit in in_order(self.store.search(dense, sparse, k * OVERFETCH * 2, flt), dense):
            section = str(hit.payload.get("section", ""))
            best.setdefault(section, hit)
            chunks.setdefault(section, {})[int(hit.payload.get("index", 0))] = str(hit.payload.get("text", ""))
        found = []
        for section, hit in list(best.items())[:k]:
            whole = _result(hit, result.match, dense)
            whole.text = join_chunks([chunks[section][i] for i in sorted(chunks[section])])
            found.append(whole)
        return found

    def for_alert(
        self, alert: AlertQuery, k: int = 3, *, doc_types: list[str] | None = None,
        vectors: tuple[list[float], SparseVector] | None = None, floor: Floor = NO_FLOOR,
    ) -> list[SearchResult]:
        """Documents naming the alert first (best chunk each), then hybrid results at or above the floor."""
        doc_types = doc_types if doc_types is not None else ["runbook", "doc"]
        dense, sparse = vectors or self.vectors(alert.text())
        seen: set[tuple[str, str]] = set()
        results: list[SearchResult] = []
        keys = alert.keys()
        if keys:
            named = SearchFilter(doc_types=doc_types, keys=keys)
            hits = self.store.search(dense, sparse, k * OVERFETCH, named)
            results += _best_per_document(hits, k, "alert", seen, dense=dense)
        if len(results) < k:
            wanted = k - len(results)
            pool = max(wanted, FAMILY_POOL)
            hits = self.store.search(dense, sparse, pool * OVERFETCH, SearchFilter(doc_types=doc_types))
            results += promote_family(_best_per_document(hits, pool, "hybrid", seen, dense=dense, floor=floor))[:wanted]
        return results

    def similar_postmortems(
        self, alert: AlertQuery, k: int = 2, *, vectors: tuple[list[float], SparseVector] | None = None,
        floor: Floor = NO_FLOOR,
    ) -> list[SearchResult]:
        return self.for_alert(alert, k, doc_types=["postmortem"], vectors=vectors,
                              floor=floor) if k else []

    def triage(
        self, alert: AlertQuery, k: int = 3, postmortems_k: int = 2, *, floor: Floor = NO_FLOOR,
        postmortem_floor: Floor = NO_FLOOR, vectors: tuple[list[float], SparseVector] | None = None,
    ) -> tuple[list[SearchResult], list[SearchResult]]:
        """Runbooks/docs and similar post-mortems for one alert, embedding its query once."""
        vectors = vectors or self.vectors(alert.text())
        return (
            self.for_alert(alert, k, vectors=vectors, floor=floor),
            self.similar_postmortems(alert, postmortems_k, vectors=vectors, floor=postmortem_floor),
        )
