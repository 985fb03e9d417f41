"""A small deterministic embedder that stands in for the model where the store logic is under test."""

from __future__ import annotations

import hashlib
import math

from knowledge.sparse import tokenize


class HashEmbedder:
    """Deterministic 64-d vectors from hashed, stemmed terms: similar words, similar vectors."""

    name = "test:hash-64"
    dim = 64

    def __init__(self) -> None:
        self.calls = 0
        self.texts = 0

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        self.texts += len(texts)
        vectors = []
        for text in texts:
            vector = [0.0] * self.dim
            for term in tokenize(text) or ["empty"]:
                digest = hashlib.blake2b(term.encode(), digest_size=2).digest()
                vector[int.from_bytes(digest) % self.dim] += 1.0
            norm = math.sqrt(sum(x * x for x in vector)) or 1.0
            vectors.append([x / norm for x in vector])
        return vectors
