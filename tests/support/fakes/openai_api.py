"""A fake OpenAI-compatible server: GET /v1/models and POST /v1/chat/completions (plain JSON and
streamed as server-sent events), as documented by OpenAI and spoken by vLLM, llama.cpp, Ollama,
TGI and LiteLLM. It records every request, answers from a script, and can hang or fail on demand:
reject the requests whose `response_format` carries a schema (as servers refuse schemas they cannot
enforce), drop the connection on them without an answer (as llama.cpp does when it crashes building
a grammar), or break a stream after some chunks.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

from aiohttp import web

from integrations.llm.client import LLMClient
from integrations.llm.config import LLMSettings
from integrations.llm.flavours import carries_schema
from tests.support.fakes.server import BODY, FakeServer, json_response

VALID_ANSWER = json.dumps({"probable_cause": "The cache ran out of memory.", "confidence": "medium",
                           "evidence": [], "next_steps": [], "citations": []})


class FakeOpenAI(FakeServer):
    def __init__(self, model: str = "fake-model", owned_by: str = "vllm") -> None:
        super().__init__()
        self.model = model
        self.owned_by = owned_by
        self.answers: list[str] = []  # answered in order; then `default_answer`
        self.default_answer = VALID_ANSWER
        self.delay_s = 0.0  # before the answer starts (a slow or hung server)
        self.reject_schemas: tuple[int, Any] | None = None  # (status, body) for requests carrying a schema
        self.drop_schemas = False  # close the connection, unanswered, on requests carrying a schema
        self.break_stream_after: int | None = None  # close the connection after this many content chunks
        self.in_flight = 0
        self.max_in_flight = 0
        self._state = threading.Lock()

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v1"

    def llm_client(self, **settings: Any) -> LLMClient:
        """The project's real client, pointed at this server."""
        return LLMClient(LLMSettings.model_validate({"url": self.api_url, **settings}))

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/chat/completions", self._chat)

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r.body for r in self.requests_to("/chat/completions")]

    @staticmethod
    def carries_schema(body: dict[str, Any]) -> bool:
        """Whether a chat request asked for schema-enforced output (not only plain JSON mode)."""
        return carries_schema(body.get("response_format"))

    async def _models(self, request: web.Request) -> web.Response:
        return json_response({"object": "list", "data": [
            {"id": self.model, "object": "model", "created": 0, "owned_by": self.owned_by}]})

    def _next_answer(self) -> str:
        with self._state:
            return self.answers.pop(0) if self.answers else self.default_answer

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = request[BODY]
        with self._state:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            if self.carries_schema(body) and self.drop_schemas:
                return await self._drop(request)
            if self.carries_schema(body) and self.reject_schemas is not None:
                status, error = self.reject_schemas
                return json_response(error, status)
            text = self._next_answer()
            prompt_tokens = sum(len(str(m.get("content", ""))) // 4 for m in body.get("messages", []))
            usage = {"prompt_tokens": prompt_tokens, "completion_tokens": max(1, len(text) // 4),
                     "total_tokens": prompt_tokens + max(1, len(text) // 4)}
            if body.get("stream"):
                return await self._stream(request, body, text, usage)
            return json_response({
                "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": self.model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": usage,
            })
        finally:
            with self._state:
                self.in_flight -= 1

    @staticmethod
    async def _drop(request: web.Request) -> web.StreamResponse:
        """Close the connection without a response (the client sees "Server disconnected")."""
        assert request.transport is not None
        request.transport.close()
        raise asyncio.CancelledError  # aiohttp ends the handler; nothing is written

    async def _stream(self, request: web.Request, body: dict[str, Any], text: str,
                      usage: dict[str, int]) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await resp.prepare(request)

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
                    "model": self.model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        events = [chunk({"role": "assistant", "content": ""})]
        events += [chunk({"content": text[i:i + 8]}) for i in range(0, len(text), 8)]
        events.append(chunk({}, "stop"))
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
                           "model": self.model, "choices": [], "usage": usage})
        for sent, event in enumerate(events):
            if self.break_stream_after is not None and sent > self.break_stream_after:
                assert request.transport is not None
                request.transport.close()
                return resp
            await resp.write(f"data: {json.dumps(event)}\n\n".encode())
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp
