"""One process per host serves the embedded MiniLM model (`opsbot embeddings serve`).

The model (numpy, knowledge.minilm) costs ~160 MB per process that embeds; Celery's prefork
children would each load their own copy on first use. `opsbot up` starts this server once, loads
the model before it listens (warm at start, not on the first alert), and points every other process
at it (`knowledge.embedded_url`), which then embeds with `knowledge.embeddings.SharedEmbedder`.
It speaks the OpenAI `/v1/embeddings` shape on loopback only.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field, ValidationError

from bot.local_server import LocalServer
from knowledge.embeddings import EMBEDDED_MODEL, EmbeddedEmbedder

log = logging.getLogger("opsbot.embeddings")

EMBEDDER: web.AppKey[EmbeddedEmbedder] = web.AppKey("embedder", EmbeddedEmbedder)
# One model call at a time: parallel forward passes would each hold their activations (and numpy's
# BLAS already uses every core), for no gain.
MODEL_THREAD: web.AppKey[ThreadPoolExecutor] = web.AppKey("model_thread", ThreadPoolExecutor)
MODEL_BATCH = 8  # texts per forward pass: 256-token batches of 32 hold ~150 MB more at the peak
TRIM_AFTER = MODEL_BATCH  # return freed memory to the system after a request this large
MAX_INPUTS = 1024
MAX_INPUT_CHARS = 64 * 1024


class EmbeddingRequest(BaseModel):
    input: str | list[str] = Field(description="one text or a batch")
    model: str = EMBEDDED_MODEL

    @property
    def texts(self) -> list[str]:
        return [self.input] if isinstance(self.input, str) else list(self.input)


def create_embedding_app(embedder: EmbeddedEmbedder) -> web.Application:
    app = web.Application(client_max_size=MAX_INPUTS * MAX_INPUT_CHARS)
    add_embedding_routes(app, embedder)
    return app


def add_embedding_routes(app: web.Application, embedder: EmbeddedEmbedder) -> None:
    app[EMBEDDER] = embedder
    app[MODEL_THREAD] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed")
    app.router.add_post("/v1/embeddings", embeddings)
    app.router.add_get("/health", health)


async def embeddings(request: web.Request) -> web.Response:
    try:
        body = EmbeddingRequest.model_validate(await request.json())
    except (ValueError, ValidationError) as exc:
        return web.json_response({"error": {"message": f"invalid request: {exc}"[:500]}}, status=400)
    texts = body.texts
    if len(texts) > MAX_INPUTS or any(len(t) > MAX_INPUT_CHARS for t in texts):
        return web.json_response({"error": {"message": f"at most {MAX_INPUTS} inputs of {MAX_INPUT_CHARS} "
                                            "characters each"}}, status=413)
    vectors = await asyncio.get_running_loop().run_in_executor(request.app[MODEL_THREAD], _embed,
                                                               request.app[EMBEDDER], texts)
    data: list[dict[str, Any]] = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
    return web.json_response({"object": "list", "model": EMBEDDED_MODEL, "data": data,
                              "usage": {"prompt_tokens": 0, "total_tokens": 0}})


def _embed(embedder: EmbeddedEmbedder, texts: list[str]) -> list[list[float]]:
    vectors = embedder.embed(texts)
    if len(texts) >= TRIM_AFTER:
        release_free_memory()
    return vectors


def release_free_memory() -> None:
    """glibc keeps freed heap for reuse; after a big batch, hand it back (a few ms)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)


async def health(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "model": EMBEDDED_MODEL})


def serve(host: str, port: int, batch_size: int = 32) -> None:
    embedder = EmbeddedEmbedder(batch_size=min(batch_size, MODEL_BATCH))
    embedder.warm()  # before listening: a caller that sees /health answer gets vectors at once
    embedder.embed(["warm up"])
    log.info("embedding server: %s on http://%s:%d", EMBEDDED_MODEL, host, port)
    web.run_app(create_embedding_app(embedder), host=host, port=port, print=None, access_log=None)


class EmbeddingServer(LocalServer):
    """`opsbot embeddings serve` as a child of `opsbot up`."""

    label = "embedding server"

    def __init__(self, data_dir: Path, batch_size: int = 32, start_timeout_s: float = 120.0) -> None:
        super().__init__(data_dir / "embedding-server.log", start_timeout_s)
        self.batch_size = batch_size

    @property
    def ready_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/health"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "bot", "embeddings", "serve", "--port", str(self.port),
                "--batch-size", str(self.batch_size)]
