"""One client for every OpenAI-compatible chat server, built on LangChain's ChatOpenAI.

Each call: redact the messages, look in the answer cache, take a slot of the shared concurrency
limit, stream the answer under a time limit (time to first token and decode speed come from the
stream), retry only when the connection failed, then write an audit record and metrics. The
structured-output and token-limit fields are shaped per server flavour (see `flavours`).

A server that rejects the schema of a call (HTTP 400/422/500 naming the grammar, schema or
response_format, or a connection dropped while it holds a schema-bound request: llama.cpp crashes on
grammars it cannot build) gets that call once more in plain JSON mode; the schema's name is
remembered for that server (in the client, and in Redis for a week when there is one), so later
calls with it go straight to JSON mode. The answer is validated by the caller either way.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, cast

import httpx
import openai
import redis
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel

from integrations.llm.audit import AuditLog, AuditRecord
from integrations.llm.cache import LLMResponseCache, prompt_hash
from integrations.llm.config import LLMSettings
from integrations.llm.flavours import Resolved, carries_schema, detect, request_shape, structured_output
from integrations.llm.semaphore import RedisSemaphore, SlotTimeout
from integrations.llm.types import (
    CallResult,
    LLMError,
    LLMTimeout,
    LLMUnavailable,
    Message,
    Metrics,
    estimate_tokens,
)
from integrations.redaction import redact

log = logging.getLogger(__name__)
CONNECT_TIMEOUT_S = 5.0
LEASE_MARGIN_S = 30.0
REJECTED_KEY = "opsbot:llm:schema_rejected:"  # + the server's URL: a hash of schema name -> why
REJECTED_TTL_S = 7 * 24 * 3600  # a fixed or replaced server gets its schemas tried again after this
REJECTED_STATUSES = frozenset({400, 422, 500})
REJECTION_WORDS = ("grammar", "schema", "response_format")
SCHEMA_REJECTED = "schema_rejected"  # the audit outcome of the attempt the server refused


class SchemaRejected(Exception):
    """The server would not (or could not) take the call's schema; `reason` says how it showed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ServerInfo(BaseModel):
    models: list[str]
    flavour: Resolved
    owned_by: str = ""


class LLMClient:
    def __init__(self, settings: LLMSettings, client: redis.Redis | None = None,
                 metrics: Metrics | None = None) -> None:
        if not settings.url:
            raise LLMUnavailable("no LLM server configured (llm.url)")
        self.settings = settings
        self.metrics = metrics
        self.semaphore = RedisSemaphore(client, settings.concurrency) if client is not None else None
        self.cache = LLMResponseCache(client, settings.cache_ttl_s) if client is not None else None
        self.audit = AuditLog(client, settings.audit_max_len) if client is not None else None
        self.redis = client
        self._info: ServerInfo | None = None
        self._rejected: dict[str, str] = {}  # schema name -> why this server rejected it

    # --- the server -----------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        key = self.settings.api_key
        return {"Authorization": f"Bearer {key.get_secret_value()}"} if key else {}

    def server_info(self, *, refresh: bool = False) -> ServerInfo:
        """GET /v1/models once per client: the model names and the server flavour."""
        if self._info is None or refresh:
            try:
                resp = httpx.get(f"{self.settings.url}/models", headers=self._headers(), timeout=CONNECT_TIMEOUT_S)
                resp.raise_for_status()
                payload: dict[str, Any] = resp.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise LLMUnavailable(f"{self.settings.url}/models: {type(exc).__name__}: {exc}") from None
            data = [m for m in payload.get("data") or [] if isinstance(m, dict)]
            self._info = ServerInfo(models=[str(m.get("id", "")) for m in data],
                                    flavour=detect(self.settings.flavour, payload, self.settings.url),
                                    owned_by=str(data[0].get("owned_by", "")) if data else "")
        return self._info

    def _flavour(self) -> Resolved:
        return self.settings.flavour if self.settings.flavour != "auto" else self.server_info().flavour

    def model_for(self, task: str) -> str:
        configured = self.settings.model_for(task)
        if configured:
            return configured
        models = self.server_info().models
        if not models:
            raise LLMUnavailable("the server lists no models and none is configured (llm.models.fast)")
        return models[0]

    # --- schemas the server rejected ------------------------------------------------------------

    @property
    def _rejected_key(self) -> str:
        return REJECTED_KEY + str(self.settings.url)

    def schema_rejected(self, name: str) -> str | None:
        """Why this server rejected the schema called `name` (then calls with it use plain JSON
        mode), or None."""
        if name in self._rejected:
            return self._rejected[name]
        if self.redis is None:
            return None
        try:
            raw = cast("bytes | str | None", self.redis.hget(self._rejected_key, name))
        except redis.RedisError as exc:
            log.warning("llm schema memory not read: %s", exc)
            return None
        if raw is None:
            return None
        self._rejected[name] = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
        return self._rejected[name]

    def _remember_rejected(self, name: str, reason: str) -> None:
        self._rejected[name] = reason
        if self.redis is None:
            return
        try:
            pipe = self.redis.pipeline()
            pipe.hset(self._rejected_key, name, reason[:300])
            pipe.expire(self._rejected_key, REJECTED_TTL_S)
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("llm schema memory not written: %s", exc)

    # --- one call -------------------------------------------------------------------------------

    def chat(self, messages: Sequence[Message], *, task: str, schema: dict[str, Any] | None = None,
             schema_name: str = "answer", max_tokens: int | None = None, timeout_s: float | None = None,
             judge: Callable[[str], str] | None = None, use_cache: bool = True,
             on_token: Callable[[str], None] | None = None) -> CallResult:
        """One chat completion. `judge(text)` names the outcome for the audit ("ok", "invalid_json");
        only answers judged "ok" are cached. With a `schema` the server rejected (see the module
        doc) the call is made in plain JSON mode. Raises LLMUnavailable or LLMTimeout."""
        started = time.monotonic()
        clean = [Message(role=m.role, content=redact(m.content)) for m in messages]
        digest = hashlib.sha256(json.dumps([m.model_dump() for m in clean]).encode()).hexdigest()
        model = "?"
        try:
            model = self.model_for(task)
            flavour = self._flavour()
            cache_key = prompt_hash(model, digest, json.dumps(schema, sort_keys=True), str(max_tokens))
            if use_cache and self.cache is not None and (hit := self.cache.get(cache_key)) is not None:
                result = CallResult(text=hit, model=model, flavour=flavour, cached=True, prompt_sha256=digest,
                                    duration_s=time.monotonic() - started)
                self._record(task, result, "cached")
                return result
            timeout = timeout_s or self.settings.timeout_for(task)
            json_mode = schema is not None and self.schema_rejected(schema_name) is not None
            result = self._call_with_slot(clean, task=task, digest=digest, model=model, flavour=flavour,
                                          schema=schema, schema_name=schema_name, json_mode=json_mode,
                                          max_tokens=max_tokens or self.settings.max_tokens,
                                          timeout=timeout, on_token=on_token)
            result.prompt_sha256 = digest
        except LLMError as exc:
            failed = CallResult(text="", model=model, flavour=self.settings.flavour, prompt_sha256=digest,
                                duration_s=time.monotonic() - started)
            self._record(task, failed, exc.kind, detail=str(exc))
            raise
        outcome = judge(result.text) if judge else "ok"
        if outcome == "ok" and use_cache and self.cache is not None:
            self.cache.put(cache_key, result.text)
        rejected = self._rejected.get(schema_name) if schema is not None else None
        self._record(task, result, outcome, detail=f"JSON mode: the server rejected schema {schema_name!r} "
                                                   f"({rejected})" if rejected else "")
        return result

    def _call_with_slot(self, messages: list[Message], *, timeout: float, **kwargs: Any) -> CallResult:
        if self.semaphore is None:
            return self._call_degrading(messages, timeout=timeout, **kwargs)
        try:
            with self.semaphore.slot(wait_s=self.settings.queue_wait_s, lease_s=timeout + LEASE_MARGIN_S) as wait_s:
                result = self._call_degrading(messages, timeout=timeout, **kwargs)
        except SlotTimeout as exc:
            raise LLMUnavailable(str(exc)) from None
        result.wait_s = wait_s
        return result

    def _call_degrading(self, messages: list[Message], *, task: str, digest: str, **kwargs: Any) -> CallResult:
        """The call; when the server rejects its schema, the same call ONCE more in plain JSON mode
        (never a third time), and the schema remembered as rejected by this server."""
        started = time.monotonic()
        try:
            return self._call_retrying(messages, **kwargs)
        except SchemaRejected as exc:
            name = kwargs["schema_name"]
            log.warning("the LLM server rejected schema %r (%s): retrying in JSON mode, and from now on",
                        name, exc.reason)
            self._remember_rejected(name, exc.reason)
            self._record(task, CallResult(text="", model=kwargs["model"], flavour=kwargs["flavour"],
                                          prompt_sha256=digest, duration_s=time.monotonic() - started),
                         SCHEMA_REJECTED, detail=f"schema {name!r}: {exc.reason}; retried in JSON mode")
        return self._call_retrying(messages, **{**kwargs, "json_mode": True})

    def _call_retrying(self, messages: list[Message], **kwargs: Any) -> CallResult:
        schema = kwargs["schema"]
        sends_schema = schema is not None and not kwargs["json_mode"] and carries_schema(
            structured_output(kwargs["flavour"], schema, kwargs["schema_name"]))
        for attempt in range(self.settings.connect_retries + 1):
            try:
                return self._stream(messages, **kwargs)
            except openai.APITimeoutError:  # a subclass of APIConnectionError: never retried
                raise LLMTimeout(f"no answer within {kwargs['timeout']:g} s") from None
            except openai.APIConnectionError as exc:
                # Refused: the server is not there (retried). Dropped after it took a schema-bound
                # request: it may have died building the grammar (llama.cpp does).
                if sends_schema and not _refused(exc):
                    raise SchemaRejected(f"the server dropped the connection: {_cause(exc)}") from None
                if attempt >= self.settings.connect_retries:
                    raise LLMUnavailable(f"cannot connect to {self.settings.url}: {_cause(exc)}") from None
                time.sleep(0.5 * 2 ** attempt)
            except openai.APIStatusError as exc:
                if sends_schema and _names_the_schema(exc):
                    raise SchemaRejected(f"HTTP {exc.status_code}: {_short(exc.message)}") from None
                raise LLMUnavailable(f"HTTP {exc.status_code}: {_short(exc.message)}") from None
            except openai.OpenAIError as exc:
                raise LLMUnavailable(f"{type(exc).__name__}: {_short(str(exc))}") from None
        raise AssertionError("unreachable")

    def _stream(self, messages: list[Message], *, model: str, flavour: Resolved, schema: dict[str, Any] | None,
                schema_name: str, json_mode: bool, max_tokens: int, timeout: float,
                on_token: Callable[[str], None] | None) -> CallResult:
        shape = request_shape(flavour, schema=schema, max_tokens=max_tokens, name=schema_name, json_mode=json_mode)
        key = self.settings.api_key
        chat = ChatOpenAI(
            base_url=self.settings.url, api_key=key.get_secret_value() if key else "none",
            model=model, temperature=self.settings.temperature, max_retries=0, stream_usage=True,
            timeout=httpx.Timeout(timeout, connect=min(CONNECT_TIMEOUT_S, timeout)),
            max_tokens=shape.chat_max_tokens, extra_body=shape.extra_body or None,
        )
        started = time.monotonic()
        ttft: float | None = None
        parts: list[str] = []
        chunks = 0
        answering = False  # the server has started its answer
        usage: dict[str, Any] | None = None
        try:
            for chunk in chat.stream(_langchain(messages)):
                answering = True
                if isinstance(chunk.content, str) and chunk.content:
                    if ttft is None:
                        ttft = time.monotonic() - started
                    parts.append(chunk.content)
                    chunks += 1
                    if on_token is not None:
                        on_token(chunk.content)
                if chunk.usage_metadata:
                    usage = dict(chunk.usage_metadata)
                # A server trickling tokens never trips the HTTP read timeout; the call's limit is total.
                if time.monotonic() - started > timeout:
                    raise LLMTimeout(f"answer not finished within {timeout:g} s")
        except openai.APIConnectionError as exc:
            # Broken off mid-answer: never retried (nor blamed on the schema); part of the answer
            # may already have gone to `on_token`.
            if answering and not isinstance(exc, openai.APITimeoutError):
                raise LLMUnavailable(f"the connection broke mid-answer: {_cause(exc)}") from None
            raise
        text = "".join(parts)
        return CallResult(
            text=text, model=model, flavour=flavour, ttft_s=ttft, duration_s=time.monotonic() - started,
            prompt_tokens=int(usage["input_tokens"]) if usage else estimate_tokens(m.content for m in messages),
            completion_tokens=int(usage["output_tokens"]) if usage else chunks,
        )

    def warm_up(self) -> None:
        """One tiny call so the server loads the model before the first card needs it (Ollama and
        others load lazily). Failures are only logged: the cards' own calls report them."""
        try:
            self.chat([Message(role="user", content="Reply with OK.")], task="check", max_tokens=1, use_cache=False)
        except LLMError as exc:
            log.warning("LLM warm-up failed: %s", exc)

    # --- bookkeeping ----------------------------------------------------------------------------

    def _record(self, task: str, result: CallResult, outcome: str, detail: str = "") -> None:
        try:
            if self.audit is not None:
                self.audit.write(AuditRecord(
                    at=time.time(), task=task, model=result.model, outcome=outcome,
                    prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens,
                    ttft_s=None if result.ttft_s is None else round(result.ttft_s, 3),
                    decode_tokens_per_s=result.decode_tokens_per_s, duration_s=round(result.duration_s, 3),
                    prompt_sha256=result.prompt_sha256, detail=redact(detail)[:300],
                ))
            if self.metrics is not None:
                self._metrics(self.metrics, task, result, outcome)
        except redis.RedisError as exc:  # bookkeeping must never fail a card
            log.warning("llm audit/metrics not recorded: %s", exc)

    @staticmethod
    def _metrics(metrics: Metrics, task: str, result: CallResult, outcome: str) -> None:
        metrics.inc("opsbot_llm_requests", [task, outcome])
        if result.cached or not result.text:
            return
        metrics.observe("opsbot_llm_request_seconds", [task], result.duration_s)
        if result.ttft_s is not None:
            metrics.observe("opsbot_llm_time_to_first_token_seconds", [task], result.ttft_s)
        metrics.inc("opsbot_llm_prompt_tokens", [task], result.prompt_tokens)
        metrics.inc("opsbot_llm_completion_tokens", [task], result.completion_tokens)
        if result.ttft_s is not None:
            metrics.inc("opsbot_llm_decode_seconds", [task], max(0.0, result.duration_s - result.ttft_s))


def _langchain(messages: list[Message]) -> list[BaseMessage]:
    kinds: dict[str, type[BaseMessage]] = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[m.role](content=m.content) for m in messages]


def _names_the_schema(exc: openai.APIStatusError) -> bool:
    """An error answer that blames the structured-output request (the grammar, the schema, the
    response_format field), not the server in general."""
    if exc.status_code not in REJECTED_STATUSES:
        return False
    text = f"{exc.message} {exc.body}".lower()
    return any(word in text for word in REJECTION_WORDS)


def _chain(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def _refused(exc: BaseException) -> bool:
    """The connection was never made (refused, no route): the server is not there. httpx and the
    httpx2 that openai >= 3 uses both call it ConnectError."""
    return any(isinstance(e, ConnectionRefusedError) or type(e).__name__ == "ConnectError" for e in _chain(exc))


def _cause(exc: BaseException) -> str:
    """What really failed under openai's and LangChain's wrappers ("Connection error." says nothing)."""
    inner = next((e for e in _chain(exc) if not type(e).__module__.startswith(("openai", "langchain"))), exc)
    return f"{type(inner).__name__}: {_short(str(inner))}"


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
