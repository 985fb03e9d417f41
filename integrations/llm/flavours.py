"""How each server flavour wants structured output and the token limit asked for.

Every server speaks /v1/chat/completions, but they disagree on the details:
- OpenAI, vLLM, LiteLLM, Ollama (>= 0.5): `response_format` {"type": "json_schema", ...}.
- llama.cpp: `json_schema` makes llama-cpp-python answer HTTP 500; {"type": "json_object", "schema": S}
  is grammar-enforced by both llama-cpp-python and upstream llama-server.
- TGI: {"type": "json_object", "value": S} (its grammar field).
- Token limit: OpenAI wants `max_completion_tokens`; llama-cpp-python ignores that and honours only
  `max_tokens` (which every other server accepts too).
`auto` asks /v1/models who owns the models; an unknown server gets plain JSON mode (validated after).
A server that rejects a schema (or crashes on it) gets plain JSON mode for that schema from then on
(`json_mode=True`, decided by the client; the prompt carries the schema, the answer is validated).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from integrations.llm.config import Flavour

# Resolved flavours; `generic` is what `auto` uses for a server it cannot recognise.
Resolved = str


class RequestShape(BaseModel):
    """Fields merged into the request body (`extra_body`) plus ChatOpenAI options."""

    extra_body: dict[str, Any] = Field(default_factory=dict)
    chat_max_tokens: int | None = Field(None, description="ChatOpenAI(max_tokens=): sent as max_completion_tokens")


# OpenAI's strict mode refuses these keywords; grammar-based servers use them to bound the answer.
_OPENAI_UNSUPPORTED = frozenset({"maxLength", "minLength", "maxItems", "minItems"})


def _without(schema: Any, keys: frozenset[str]) -> Any:
    if isinstance(schema, dict):
        return {k: _without(v, keys) for k, v in schema.items() if k not in keys}
    if isinstance(schema, list):
        return [_without(v, keys) for v in schema]
    return schema


@dataclass(frozen=True)
class FlavourSpec:
    """How one server flavour wants structured output and the token limit."""

    response_format: Callable[[dict[str, Any], str], dict[str, Any]]  # (schema, name) -> response_format
    limit_as_max_completion_tokens: bool = False  # else `max_tokens` in the body


def _json_schema(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}


def _openai(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return _json_schema(_without(schema, _OPENAI_UNSUPPORTED), name)


def _json_mode(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return {"type": "json_object"}  # JSON mode every server knows; the prompt carries the schema


# The flavour registry: `llm.flavour` (or what `auto` detects) names one entry.
FLAVOURS: dict[Resolved, FlavourSpec] = {
    "openai": FlavourSpec(_openai, limit_as_max_completion_tokens=True),
    "vllm": FlavourSpec(_json_schema),
    "litellm": FlavourSpec(_json_schema),
    "ollama": FlavourSpec(_json_schema),
    "tgi": FlavourSpec(lambda schema, name: {"type": "json_object", "value": schema}),
    "llamacpp": FlavourSpec(lambda schema, name: {"type": "json_object", "schema": schema}),
    "generic": FlavourSpec(_json_mode),
}


def structured_output(flavour: Resolved, schema: dict[str, Any], name: str) -> dict[str, Any]:
    return FLAVOURS.get(flavour, FLAVOURS["generic"]).response_format(schema, name)


def carries_schema(response_format: dict[str, Any] | None) -> bool:
    """Whether a `response_format` asks the server to enforce a schema (more than plain JSON mode)."""
    return response_format is not None and response_format != _json_mode({}, "")


def request_shape(flavour: Resolved, *, schema: dict[str, Any] | None, max_tokens: int,
                  name: str = "answer", json_mode: bool = False) -> RequestShape:
    """The request fields for `flavour`; `json_mode` sends plain JSON mode instead of the schema (the
    generic flavour's shape) and keeps the flavour's token-limit field."""
    spec = FLAVOURS.get(flavour, FLAVOURS["generic"])
    shape = RequestShape()
    if spec.limit_as_max_completion_tokens:
        shape.chat_max_tokens = max_tokens
    else:
        shape.extra_body["max_tokens"] = max_tokens
    if schema is not None:
        form = FLAVOURS["generic"].response_format if json_mode else spec.response_format
        shape.extra_body["response_format"] = form(schema, name)
    return shape


_OWNERS = {"llamacpp": "llamacpp", "me": "llamacpp", "vllm": "vllm", "library": "ollama", "ollama": "ollama",
           "tgi": "tgi", "text-generation-inference": "tgi", "openai": "openai", "system": "openai",
           "openai-internal": "openai"}


def detect(flavour: Flavour, models_payload: dict[str, Any] | None, base_url: str) -> Resolved:
    """The flavour to use: the configured one, or one recognised from a /v1/models answer."""
    if flavour != "auto":
        return flavour
    data = (models_payload or {}).get("data") or []
    owner = str(data[0].get("owned_by", "")).lower() if data and isinstance(data[0], dict) else ""
    found = _OWNERS.get(owner, "generic")
    # LiteLLM and other proxies report "openai" for everything they front; only api.openai.com is OpenAI.
    if found == "openai" and "api.openai.com" not in base_url:
        return "generic"
    return found
