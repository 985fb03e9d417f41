"""One schema-bound answer: a call, at most one repair call, and the parsed object (or why not).

Every card kind that asks the LLM (triage and diagnosis explanations, /ask answers) goes through
`structured_call`, so "one bounded call, JSON checked, one repair" holds in one place.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, Field, ValidationError

from integrations.llm.prompts import render_one
from integrations.llm.types import Message

if TYPE_CHECKING:
    from integrations.llm.client import LLMClient

T = TypeVar("T", bound=BaseModel)
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)


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


class StructuredResult(BaseModel, Generic[T]):
    answer: T | None = None
    error: str = Field("", description="why there is no answer after the repair attempt")
    model: str = ""
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    generation_s: float = 0.0
    cached: bool = False


def structured_call(client: LLMClient, messages: list[Message], answer_type: type[T], *, task: str,
                    schema: dict[str, Any], schema_name: str) -> StructuredResult[T]:
    """Ask once; if the text is not a valid `answer_type`, show the model its answer and the error
    once. Raises LLMError (server down or slow); an unusable answer is `error`, not an exception."""
    def judge(text: str) -> str:
        try:
            parse_json_object(text, answer_type)
        except ValueError:
            return "invalid"
        return "ok"

    result = StructuredResult[T]()
    for attempt in range(2):
        call = client.chat(messages, task=task, schema=schema, schema_name=schema_name, judge=judge)
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
