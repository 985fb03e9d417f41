"""Knowledge-base benchmark on the public corpus in ../shared/corpus (never used by the tests).

1. Ingest the corpus (runbooks, Ceph/Redis/OpenSearch docs, post-mortems) with the embedded model
   into Qdrant Edge: files, chunks, seconds, chunks/s.
2. For every kube-prometheus alerting rule whose runbook_url points at a runbook file in the
   corpus, build the alert a receiver would get (name, summary, description with labels filled
   in, severity, the expression) and check whether that runbook is the top 1 / top 3 of
   alert-aware retrieval: with the real name and renamed (only summary/description/expression
   left), each with and without the runbook_url annotation.
3. Query latency p50/p95 of both backends (Qdrant Edge, qdrant-client local mode) at corpus size,
   and at 100k synthetic chunks (random unit vectors, Zipf-distributed sparse terms).

Usage: .venv/bin/python bench/knowledge_bench.py [--corpus ../shared/corpus] [--out bench/results/knowledge.md]
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.backends import open_store  # noqa: E402
from knowledge.config import KnowledgeSettings  # noqa: E402
from knowledge.documents import url_key  # noqa: E402
from knowledge.embeddings import EmbeddedEmbedder, Embedder  # noqa: E402
from knowledge.ingest import Ingestor, IngestSource, IngestSummary  # noqa: E402
from knowledge.retrieval import AlertQuery, Retriever  # noqa: E402
from knowledge.sparse import SparseVector, query_vector  # noqa: E402
from knowledge.store import Point, SearchFilter, Store  # noqa: E402

FOLDERS = {
    "runbooks": "runbook", "runbooks-openshift": "runbook", "ceph-docs": "doc", "redis-docs": "doc",
    "opensearch-docs": "doc", "postmortems": "postmortem",
}
LABEL_VALUES = {
    "cluster": "prod-eu-1", "namespace": "payments", "pod": "auth-service-7d9f8b6c4-x2k9p",
    "instance": "10.0.3.17:9100",
    "node": "worker-3", "device": "sda", "mountpoint": "/var", "job": "node-exporter", "container": "auth",
    "controller": "eth0", "service": "auth", "deployment": "auth-service", "statefulset": "postgres",
    "daemonset": "fluent-bit", "persistentvolumeclaim": "data-postgres-0", "horizontalpodautoscaler": "auth",
    "job_name": "nightly-report", "resource": "cpu", "integration": "slack", "fstype": "ext4",
}
SYNTHETIC = 100_000


class CachingEmbedder:
    """Embeds each distinct text once, so the second backend's ingest costs no model time."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.cache: dict[str, list[float]] = {}
        self.name, self.dim = inner.name, inner.dim

    def embed(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        for text, vector in zip(missing, self.inner.embed(missing), strict=True):
            self.cache[text] = vector
        return [self.cache[t] for t in texts]


def render(template: str) -> str:
    """Fill an alert annotation template the way Alertmanager would show it (labels -> values)."""
    text = re.sub(r"{{-?\s*\$labels\.(\w+)\s*-?}}", lambda m: LABEL_VALUES.get(m.group(1), m.group(1)), template)
    text = re.sub(r"{{-?\s*\$value[^}]*}}", "87.5", text)
    text = re.sub(r"{{-?\s*printf[^}]*}}", "87.5", text)
    text = re.sub(r"{{-?[^}]*}}", "", text)  # with/end/range blocks
    return " ".join(text.split())


def alert_cases(corpus: Path) -> list[dict[str, Any]]:
    runbooks = {p.stem.lower(): p.relative_to(corpus / "runbooks").as_posix()
                for p in (corpus / "runbooks").rglob("*.md") if p.name != "_index.md"}
    cases = []
    for file in sorted((corpus / "alert-rules" / "kube-prometheus").glob("*.yaml")):
        for group in yaml.safe_load(file.read_text())["spec"]["groups"]:
            for rule in group["rules"]:
                url = rule.get("annotations", {}).get("runbook_url")
                if "alert" not in rule or not url or url_key(url) not in runbooks:
                    continue
                annotations = rule["annotations"]
                cases.append({
                    "name": rule["alert"], "url": url, "expected": runbooks[url_key(url)],
                    "summary": render(annotations.get("summary", "")),
                    "description": render(annotations.get("description", "")),
                    "severity": rule.get("labels", {}).get("severity", "warning"),
                    "expr": " ".join(str(rule["expr"]).split()),
                })
    return cases


def evaluate(retriever: Retriever, cases: list[dict[str, Any]]) -> dict[str, tuple[float, float, list[str]]]:
    results = {}
    for with_name in (True, False):
        for with_url in (True, False):
            hit1 = hit3 = 0
            misses = []
            for case in cases:
                query = AlertQuery(
                    name=case["name"] if with_name else "RenamedAlert",
                    summary=case["summary"], description=case["description"],
                    labels={"severity": case["severity"], "alertname": case["name"] if with_name else "RenamedAlert"},
                    expression=case["expr"], runbook_url=case["url"] if with_url else "",
                )
                found = [r.source for r in retriever.for_alert(query, k=3, doc_types=["runbook"])]
                hit1 += found[:1] == [case["expected"]]
                hit3 += case["expected"] in found
                if case["expected"] not in found:
                    misses.append(case["name"])
            key = f"{'name' if with_name else 'renamed'}, {'with' if with_url else 'without'} runbook_url"
            results[key] = (hit1 / len(cases), hit3 / len(cases), misses)
    return results


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def latency(store: Store, queries: list[tuple[list[float], SparseVector]], rounds: int) -> tuple[float, float]:
    samples = []
    for n in range(rounds):
        dense, sparse = queries[n % len(queries)]
        started = time.perf_counter()
        store.search(dense, sparse, 12, SearchFilter(doc_types=["runbook", "doc"]))
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def synthetic_points(count: int, dim: int, seed: int = 7) -> list[Point]:
    rng = random.Random(seed)
    vocabulary = 30_000
    weights = [1 / (rank + 1) for rank in range(vocabulary)]  # Zipf-like term frequencies
    doc_types = ["runbook", "doc", "postmortem"]
    points = []
    for i in range(count):
        vector = [rng.gauss(0, 1) for _ in range(dim)]
        norm = math.sqrt(sum(x * x for x in vector))
        terms = sorted(set(rng.choices(range(vocabulary), weights=weights, k=60)))
        points.append(Point(
            id=str(hashlib.md5(f"syn{i}".encode()).hexdigest()),
            dense=[x / norm for x in vector],
            sparse=SparseVector(indices=terms, values=[round(rng.uniform(0.5, 2.0), 3) for _ in terms]),
            payload={"root": "synthetic", "source": f"doc{i // 8}.md", "title": f"Doc {i // 8}", "section": "",
                     "text": "", "doc_type": doc_types[i % 3], "services": [], "keys": [], "file_hash": "",
                     "chunks": 8},
        ))
    return points


def fill(store: Store, points: list[Point], dim: int) -> float:
    started = time.perf_counter()
    store.prepare(dim)
    for start in range(0, len(points), 2000):
        store.upsert(points[start:start + 2000])
    store.commit()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "knowledge.md")
    parser.add_argument("--local-100k-queries", type=int, default=5, help="local mode is slow at 100k: few queries")
    args = parser.parse_args()
    corpus: Path = args.corpus
    work = Path(tempfile.mkdtemp(prefix="opsbot-kb-bench-"))
    embedder = CachingEmbedder(EmbeddedEmbedder())
    sources = [IngestSource(path=corpus / folder, doc_type=kind) for folder, kind in FOLDERS.items()]
    lines = ["## Knowledge base (issue 3)", ""]

    # 1. ingest
    loads = [_load()]
    results: dict[str, IngestSummary] = {}
    retrievers: dict[str, Retriever] = {}
    embedder.embed(["warm up"])
    for backend in ("edge", "local"):
        store = open_store(KnowledgeSettings(store=backend), work / backend, write=True)
        results[backend] = Ingestor(store, embedder, progress=True).run(sources)
        retrievers[backend] = Retriever(store, embedder)
        print(backend, results[backend].line(), flush=True)
    first = results["edge"]
    chunks = first.chunks_added
    lines += [
        f"Corpus: `shared/corpus` ({', '.join(FOLDERS)}), {first.files} Markdown/RST files, all-MiniLM-L6-v2 on CPU "
        f"(this machine: {_cpus()} cores), Qdrant Edge.",
        "",
        "| ingest | files | chunks | seconds | chunks/s |",
        "|---|---|---|---|---|",
        f"| first run (embedding everything) | {first.files} | {chunks} | {first.seconds:.1f} | "
        f"{chunks / first.seconds:.1f} |",
    ]
    store = open_store(KnowledgeSettings(store="edge"), work / "edge-again", write=True)
    Ingestor(store, embedder).run(sources)
    again = Ingestor(store, embedder).run(sources)
    store.close()
    lines += [f"| re-run, nothing changed | {again.files} | 0 | {again.seconds:.2f} | - |", ""]

    # 2. alert -> runbook
    cases = alert_cases(corpus)
    evaluation = evaluate(retrievers["edge"], cases)
    lines += [
        f"Alert -> runbook: {len(cases)} kube-prometheus alerting rules whose runbook_url has a runbook file in "
        "the corpus; the alert carries summary, description (labels filled in), severity and the expression. "
        "Renamed = the alert name replaced by `RenamedAlert`.",
        "",
        "| alert as received | hit@1 | hit@3 | misses at 3 |",
        "|---|---|---|---|",
    ]
    verdicts = []
    for key, (h1, h3, misses) in evaluation.items():
        target = 0.98 if key.startswith("name") else 0.85
        verdicts.append(f"hit@3 {key}: {h3:.3f} (target >= {target}): {_met(h3 >= target)}")
        lines.append(f"| {key} | {h1:.3f} | {h3:.3f} | {', '.join(misses[:6]) + (' …' if len(misses) > 6 else '')} |")
        print(key, h1, h3, misses, flush=True)
    lines.append("")

    # 3. latency at corpus size
    loads.append(_load())
    texts = [AlertQuery(name="RenamedAlert", summary=c["summary"], description=c["description"],
                        expression=c["expr"]).text() for c in cases]
    vectors = [(v, query_vector(t)) for v, t in zip(embedder.inner.embed(texts), texts, strict=True)]
    lines += [
        "Query latency: one hybrid Query API call (dense + sparse prefetch, RRF fusion, doc_type filter) with "
        "the alerts' queries; the query embedding is not included except in the end-to-end row (MiniLM needs "
        "~20 ms for an alert-sized query on these 2 cores). qdrant-client local mode scores sparse vectors in "
        "pure Python, point by point: it is the option for small corpora and single processes, not for speed.",
        "",
        "| backend | chunks | p50 ms | p95 ms | queries |",
        "|---|---|---|---|---|",
    ]
    for backend in ("edge", "local"):
        rounds = 300 if backend == "edge" else 100
        latency(retrievers[backend].store, vectors, 10)
        p50, p95 = latency(retrievers[backend].store, vectors, rounds)
        verdicts.append(f"{_name(backend)} p95 at corpus size {p95:.1f} ms (target <= 50): {_met(p95 <= 50)}")
        lines.append(f"| {_name(backend)} | {chunks} | {p50:.2f} | {p95:.2f} | {rounds} |")
        print(backend, "corpus", p50, p95, flush=True)
        retrievers[backend].store.close()
    e2e = []
    edge_retriever = Retriever(open_store(KnowledgeSettings(store="edge"), work / "edge"), embedder.inner)
    triage_queries = [AlertQuery(name=c["name"], summary=c["summary"], description=c["description"],
                                 expression=c["expr"]) for c in cases]
    for query in triage_queries[:10]:  # warm-up
        edge_retriever.triage(query)
    for query in triage_queries:
        started = time.perf_counter()
        edge_retriever.triage(query, k=3, postmortems_k=2)
        e2e.append((time.perf_counter() - started) * 1000)
    edge_retriever.store.close()
    p50, p95 = percentiles(e2e)
    lines.append(f"| Qdrant Edge, triage end to end (embed the alert + 3 queries) | {chunks} | {p50:.2f} | "
                 f"{p95:.2f} | {len(e2e)} |")

    # 3b. latency at 100k synthetic chunks
    points = synthetic_points(SYNTHETIC, 384)
    for backend in ("edge", "local"):
        store = open_store(KnowledgeSettings(store=backend, collection="synthetic"), work / "syn", write=True)
        seconds = fill(store, points, 384)
        rounds = 300 if backend == "edge" else args.local_100k_queries
        latency(store, vectors, 3 if backend == "edge" else 1)
        p50, p95 = latency(store, vectors, rounds)
        if backend == "edge":
            verdicts.append(f"Qdrant Edge p95 at 100k {p95:.1f} ms (target <= 20): {_met(p95 <= 20)}")
        lines.append(f"| {_name(backend)} (synthetic, loaded in {seconds:.0f} s) | {SYNTHETIC} | {p50:.2f} | "
                     f"{p95:.2f} | {rounds} |")
        print(backend, "100k", seconds, p50, p95, flush=True)
        store.close()
    lines += [
        "",
        "Targets from the issue:",
        "",
        *[f"- {v}" for v in verdicts],
        "",
        f"1-minute load average at start, before the latency runs and at the end: {loads[0]:.1f}, "
        f"{loads[1]:.1f}, {_load():.1f}. The machine's 2 cores are shared with other work, so model-bound "
        "timings (ingest, end to end) vary between runs by up to 2x; Qdrant Edge query timings barely move.",
        "",
        "Run: `.venv/bin/python bench/knowledge_bench.py` (about 10 minutes on 2 cores).",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


def _name(backend: str) -> str:
    return {"edge": "Qdrant Edge", "local": "qdrant-client local mode"}[backend]


def _load() -> float:
    import os

    return os.getloadavg()[0]


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()
