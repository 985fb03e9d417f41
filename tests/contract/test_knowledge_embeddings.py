"""The OpenAI-compatible embedding provider against a /v1/embeddings server (a fake speaking the wire
format). The embedded all-MiniLM-L6-v2 for real: tests/integration/test_knowledge_embeddings.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

import pytest

from knowledge.backends import open_store
from knowledge.config import KnowledgeSettings
from knowledge.embeddings import EmbeddingError, OpenAIEmbedder, build_embedder
from knowledge.ingest import Ingestor, IngestSource
from knowledge.retrieval import Retriever
from tests.support.embedders import HashEmbedder
from tests.support.paths import TEST_DATA
from tests.support.servers import handler_server

DATA = TEST_DATA / "knowledge"


class FakeEmbeddingsHandler(BaseHTTPRequestHandler):
    """Answers POST /v1/embeddings like OpenAI (data[].embedding, index), in shuffled order."""

    requests: ClassVar[list[dict[str, Any]]] = []
    fail_with: ClassVar[int | None] = None

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        if self.fail_with:
            self._send(self.fail_with, {"error": {"message": "model not loaded"}})
            return
        if self.path != "/v1/embeddings":
            self._send(404, {"error": "not found"})
            return
        vectors = HashEmbedder().embed(body["input"])
        data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
        self._send(200, {"object": "list", "data": list(reversed(data)), "model": body["model"]})

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        raw = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def embeddings_server() -> Iterator[str]:
    FakeEmbeddingsHandler.requests = []
    FakeEmbeddingsHandler.fail_with = None
    with handler_server(FakeEmbeddingsHandler) as url:
        yield url


def test_openai_provider_batches_orders_and_learns_the_dimension(embeddings_server: str) -> None:
    settings = KnowledgeSettings(
        embedding="openai", openai_url=f"{embeddings_server}/v1", openai_model="nomic-embed-text",
        openai_api_key="sk-test", batch_size=2,
    )
    embedder = build_embedder(settings)
    assert isinstance(embedder, OpenAIEmbedder)
    texts = ["redis memory", "ceph osd down", "pod crash loop"]
    vectors = embedder.embed(texts)
    assert vectors == HashEmbedder().embed(texts)  # reordered by `index`, not by arrival
    assert embedder.dim == 64
    sent = FakeEmbeddingsHandler.requests
    assert [len(r["body"]["input"]) for r in sent] == [2, 1]
    assert {r["body"]["model"] for r in sent} == {"nomic-embed-text"}
    assert sent[0]["auth"] == "Bearer sk-test" and sent[0]["path"] == "/v1/embeddings"
    assert embedder.name.startswith("openai:") and "nomic-embed-text" in embedder.name


def test_openai_provider_accepts_a_url_without_v1(embeddings_server: str) -> None:
    embedder = OpenAIEmbedder(embeddings_server, "m")
    assert len(embedder.embed(["x"])[0]) == 64


def test_openai_provider_errors_are_readable(embeddings_server: str) -> None:
    FakeEmbeddingsHandler.fail_with = 503
    with pytest.raises(EmbeddingError, match=r"HTTP 503.*model not loaded"):
        OpenAIEmbedder(embeddings_server, "m").embed(["x"])
    with pytest.raises(EmbeddingError, match="ConnectError"):
        OpenAIEmbedder("http://127.0.0.1:9", "m", timeout_s=2).embed(["x"])


def test_ingest_and_search_through_the_openai_provider(embeddings_server: str, tmp_path: Path) -> None:
    settings = KnowledgeSettings(embedding="openai", openai_url=embeddings_server, openai_model="m")
    store = open_store(settings, tmp_path, write=True)
    try:
        embedder = build_embedder(settings)
        summary = Ingestor(store, embedder).run([IngestSource(path=DATA)])
        assert summary.files_added == 7
        assert Retriever(store, embedder).search("mem_fragmentation_ratio", k=1)[0].source == "runbooks/redis-memory.md"
    finally:
        store.close()
