"""The embedding server `opsbot up` runs: OpenAI-shaped answers, clear 4xx for bad requests, and the
workers' SharedEmbedder getting the same vectors (and identity) as the in-process model."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from aiohttp import web

from bot.embedding_server import add_embedding_routes
from knowledge.config import KnowledgeSettings
from knowledge.embeddings import EmbeddedEmbedder, EmbeddingError, SharedEmbedder, build_embedder
from tests.support.fakes.server import FakeServer


class CountingEmbedder(EmbeddedEmbedder):
    """The real class with the model replaced by a deterministic function of the text."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.batches.append(texts)
        return [[float(len(t)), 1.0] + [0.0] * 382 for t in texts]


class EmbeddingApp(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.embedder = CountingEmbedder()

    def routes(self, app: web.Application) -> None:
        add_embedding_routes(app, self.embedder)


@pytest.fixture
def server() -> Iterator[EmbeddingApp]:
    with EmbeddingApp().run_in_thread() as running:
        yield running


def test_shared_embedder_gets_the_servers_vectors_under_the_embedded_identity(server: EmbeddingApp) -> None:
    embedder = build_embedder(KnowledgeSettings(embedded_url=f"{server.base_url}/v1", batch_size=2))
    assert isinstance(embedder, SharedEmbedder)
    assert embedder.name == EmbeddedEmbedder.name and embedder.dim == 384  # the index stays valid
    vectors = embedder.embed(["a", "bbb", "cc"])
    assert [v[0] for v in vectors] == [1.0, 3.0, 2.0]
    assert server.embedder.batches == [["a", "bbb"], ["cc"]]  # batched as configured
    assert embedder.embed([]) == []


def test_bad_requests_get_a_4xx_with_a_reason(server: EmbeddingApp) -> None:
    url = f"{server.base_url}/v1/embeddings"
    assert httpx.post(url, content=b"not json", headers={"Content-Type": "text/plain"}).status_code == 400
    missing = httpx.post(url, json={"model": "x"})
    assert missing.status_code == 400 and "input" in missing.json()["error"]["message"]
    assert httpx.post(url, json={"input": ["x"] * 2000}).status_code == 413
    assert httpx.get(f"{server.base_url}/health").json()["status"] == "ok"


def test_a_down_server_is_an_embedding_error_not_a_crash() -> None:
    embedder = SharedEmbedder("http://127.0.0.1:9/v1", timeout_s=1)
    with pytest.raises(EmbeddingError):
        embedder.embed(["x"])
