"""One schema-bound answer: a call, at most one repair call, and the parsed object (or why not).

Every card kind that asks the LLM (triage and diagnosis explanations, /ask answers) goes through
`structured_call`, so "one bounded call, JSON checked, one repair" holds in one place.

The schemas sent stay small for grammar engines: llama.cpp expands every `maxLength`/`maxItems` into
nested grammar rules, and llama-cpp-python 0.3.36 fails to parse (then segfaults) past ~1,000 for one
string. Only short identifier-like fields carry bounds, at most `MAX_SCHEMA_BOUND`; prose fields are
bounded by the prompt and max_tokens and cut after parsing (`clip`), never rejected for length.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, Field, ValidationError

from integrations.llm.prompts import render_one
from integrations.llm.types import LLMError, Message

if TYPE_CHECKING:
    from integrations.llm.client import LLMClient

T = TypeVar("T", bound=BaseModel)
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)
# The largest minLength/maxLength/minItems/maxItems a schema may carry (ten times under the ~1,000
# at which llama-cpp-python's grammar parser gives up); tests/contract/test_llm_schema_fallback.py
# checks every schema the project sends.
MAX_SCHEMA_BOUND = 100


def clip(chars: int, mark: str = "…") -> Callable[[Any], Any]:
    """A `BeforeValidator` body: a string longer than `chars` is cut to `chars` (ending in `mark`),
    not rejected."""
    def cut(value: Any) -> Any:
        if isinstance(value, str) and len(value) > chars:
            return value[: chars - len(mark)] + mark
        return value
    return cut


def parse_json_object(text: str, model: type[T]) -> T:
    """The object from the model's text (code fences and chatter around it are tolerated).
    Raises ValueError with a short reason, which the repair prompt shows the model."""
    body = _FENCE.sub("", text.strip())
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("no JSON object in the answer" + (" (it was cut off at max_tokens?)" if body else ""))
    try:
        data = json.loads(body[start:end + 1])
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} at character {exc.pos}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ValueError(f"{'.'.join(str(p) for p in err['loc']) or 'answer'}: {err['msg']}") from None


def failure_note(unavailable: bool, reason: str) -> str:
    """How every card says the LLM did not help: the server, or the answer."""
    return f"LLM {'unavailable' if unavailable else 'answer rejected'}: {reason}"


def calls_note(model: str, calls: int) -> str:
    return f"llm {model} ({calls} call{'s' if calls != 1 else ''})"


class StructuredResult(BaseModel, Generic[T]):
    answer: T | None = None
    unavailable: bool = Field(False, description="the server was down or too slow (LLMError)")
    error: str = Field("", description="why there is no answer: the server's trouble, or the answer's after repair")
    model: str = ""
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    generation_s: float = 0.0
    cached: bool = False

    @property
    def failure(self) -> str:
        return failure_note(self.unavailable, self.error)

    @property
    def note(self) -> str:
        return calls_note(self.model, self.calls)


def structured_call(client: LLMClient, messages: list[Message], answer_type: type[T], *, task: str,
                    schema: dict[str, Any], schema_name: str) -> StructuredResult[T]:
    """Ask once; if the text is not a valid `answer_type`, show the model its answer and the error
    once. Never raises for LLM trouble: a server that is down or slow sets `unavailable`, an unusable
    answer leaves `answer` None; `error` says which and why."""
    def judge(text: str) -> str:
        try:
            parse_json_object(text, answer_type)
        except ValueError:
            return "invalid"
        return "ok"

    result = StructuredResult[T]()
    for attempt in range(2):
        try:
            call = client.chat(messages, task=task, schema=schema, schema_name=schema_name, judge=judge)
        except LLMError as exc:
            result.unavailable, result.error = True, str(exc)
            return result
        result.calls += 1
        result.model = call.model
        result.prompt_tokens += call.prompt_tokens
        result.completion_tokens += call.completion_tokens
        result.generation_s += call.generation_s
        result.cached = call.cached
        try:
            result.answer = parse_json_object(call.text, answer_type)
            return result
        except ValueError as exc:
            result.error = str(exc)
        if attempt == 0:
            messages = [*messages, Message(role="assistant", content=call.text[:4000]),
                        Message(role="user", content=render_one("repair.user.txt", error=result.error))]
    result.error += " (after one repair attempt)"
    return result
