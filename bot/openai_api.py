"""The OpenAI-compatible endpoint: opsbot as a model (`/v1/models`, `/v1/chat/completions`).

Open WebUI, a LiteLLM proxy or an IDE agent adds opsbot like any model. The last user message is
routed like a chat mention (`handlers.intents` over the COMMANDS registry): a question is /ask (the
answer with its citations as Markdown links), pasted Ceph or Redis output the diagnosis, pasted
configuration the review, a log question /logs (its query in a code block), `/command …` as typed.
A worker runs it (`bot.openai_task`) and the card comes back as one Markdown message, streamed
(`stream: true`, server-sent events ending in `[DONE]`) or not. On only when `openai_api.api_keys` has a
key; every request needs one as `Authorization: Bearer`. Errors have OpenAI's shape:
`{"error": {"message", "type", "param", "code"}}`.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

import redis.asyncio as aioredis
from aiohttp import web

from bot.app_keys import DEDUPE_PREFIX, PUBLISHER, REDIS, SETTINGS
from bot.celery_app import QUEUE_COLLECT, QUEUE_LLM
from bot.commands import command_for_mention, instant_reply, normalise
from bot.config import Settings
from bot.openai_task import wants_llm
from bot.request_input import BadRequest, body_bytes, json_object, secure_equal
from bot.web_channel.routes import command_of
from core.events import Command
from integrations.neutralise import LinkPolicy
from integrations.webchat.markdown import card_markdown

log = logging.getLogger("opsbot.openai_api")
CHANNEL = "openai"
CHUNK_CHARS = 400
REPLY_PREFIX = "opsbot:openai:reply:"


def openai_error(status: int, message: str, kind: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None) -> web.Response:
    return web.json_response({"error": {"message": message, "type": kind, "param": param, "code": code}},
                             status=status)


def _authorized(request: web.Request, settings: Settings) -> bool:
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return False
    results = [secure_equal(presented.strip(), key.get_secret_value()) for key in settings.openai_api.api_keys]
    return any(results)


def _unauthorized() -> web.Response:
    return openai_error(401, "Incorrect API key provided.", code="invalid_api_key")


async def models(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    if not _authorized(request, settings):
        return _unauthorized()
    return web.json_response({"object": "list", "data": [
        {"id": settings.openai_api.model, "object": "model", "created": 0, "owned_by": "opsbot"}]})


def _text_of(content: Any) -> str:
    """A message's content: a string, or the text parts of a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content
                         if isinstance(part, dict) and part.get("type") == "text")
    return ""


def last_user_text(body: dict[str, Any]) -> str:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("messages must be a non-empty list")
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            text = _text_of(message.get("content")).strip()
            if text:
                return text
    raise BadRequest("no user message with text content")


def command_for(text: str) -> Command:
    """The command the text asks for: typed as `/name …`, or routed like a mention."""
    event = command_of(text, CHANNEL, "openai")
    return normalise(event) if isinstance(event, Command) else command_for_mention(event)


async def _run(request: web.Request, cmd: Command) -> str:
    """The answer as Markdown: help at once, anything else from a worker within `openai_api.timeout_s`."""
    settings = request.app[SETTINGS]
    card = instant_reply(cmd, settings)
    if card is not None:
        return card_markdown(card, LinkPolicy.of(settings.link_hosts))
    reply_key = f"{REPLY_PREFIX}{uuid.uuid4().hex}"
    queue = QUEUE_LLM if wants_llm(cmd.name, settings.llm.configured) else QUEUE_COLLECT
    await request.app[PUBLISHER].publish_once(DEDUPE_PREFIX + reply_key, 60, "bot.tasks.answer_openai",
                                              [reply_key, cmd.model_dump(mode="json")], queue,
                                              argsrepr=f"(/{cmd.name})")
    answer = await request.app[REDIS].blpop([reply_key], timeout=settings.openai_api.timeout_s)  # type: ignore[misc]
    if answer is None:
        raise TimeoutError(f"no answer within {settings.openai_api.timeout_s:g} s")
    return str(json.loads(answer[1])["markdown"])


def _completion(model: str, completion_id: str, created: int, content: str) -> dict[str, Any]:
    return {"id": completion_id, "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}}


def _chunk(model: str, completion_id: str, created: int, delta: dict[str, str], finish: str | None = None) -> bytes:
    body = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n".encode()


async def chat_completions(request: web.Request) -> web.StreamResponse:
    settings = request.app[SETTINGS]
    if not _authorized(request, settings):
        return _unauthorized()
    try:
        body = json_object(await body_bytes(request))
        model = body.get("model")
        if model != settings.openai_api.model:
            return openai_error(404, f"The model `{model}` does not exist; this server has "
                                     f"`{settings.openai_api.model}`.", code="model_not_found", param="model")
        cmd = command_for(last_user_text(body))
    except BadRequest as exc:
        return openai_error(exc.status, exc.message, param="messages")
    completion_id, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
    if not body.get("stream"):
        try:
            content = await _run(request, cmd)
        except (TimeoutError, aioredis.RedisError) as exc:
            log.warning("openai endpoint: /%s failed: %s", cmd.name, exc)
            return openai_error(503, f"opsbot could not answer: {exc}", kind="server_error")
        return web.json_response(_completion(model, completion_id, created, content))
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
    await response.prepare(request)
    await response.write(_chunk(model, completion_id, created, {"role": "assistant", "content": ""}))
    try:
        content = await _run(request, cmd)
    except (TimeoutError, aioredis.RedisError) as exc:
        log.warning("openai endpoint: /%s failed: %s", cmd.name, exc)
        content = f"opsbot could not answer: {exc}"
    for start in range(0, len(content), CHUNK_CHARS):
        await response.write(_chunk(model, completion_id, created, {"content": content[start:start + CHUNK_CHARS]}))
    await response.write(_chunk(model, completion_id, created, {}, finish="stop"))
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response


def add_openai_routes(app: web.Application, settings: Settings) -> None:
    app.router.add_get("/v1/models", models)
    app.router.add_post("/v1/chat/completions", chat_completions)
