"""The LLM answer to a question: one schema-bound call over the sections retrieval found.

The model sees the question and 3-6 sections (trimmed to the prompt budget), answers in the
language of the question, and cites sections by id. Citations it did not see are dropped; an answer
that cites nothing it was shown is rejected, and the caller keeps the answer built from the
sections themselves. Server trouble is never an error here: the result says why it has no answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field

from integrations.llm.budget import Context, Part, fit, shorten
from integrations.llm.prompts import data_block, render
from integrations.llm.structured import clip, structured_call
from integrations.llm.types import Message
from knowledge.retrieval import SearchResult
from knowledge.sparse import is_russian

if TYPE_CHECKING:
    from integrations.llm.client import LLMClient

# About five sentences (what the prompt asks for). Not a schema bound: a maxLength in the hundreds
# made llama.cpp fail to build the grammar and crash; a longer answer is cut at twice this.
ANSWER_CHARS = 1200
SECTION_CHARS = 1500
MAX_SECTIONS = 6
TASK = "qa"


class ModelAnswer(BaseModel):
    """What the model must return (the schema sent to the server says the same)."""

    answer: Annotated[str, BeforeValidator(clip(2 * ANSWER_CHARS)), Field(min_length=2)]
    citations: list[str] = Field(default_factory=list)


class LLMAnswer(BaseModel):
    status: Literal["answered", "unavailable", "rejected"]
    text: str = ""
    cited: list[int] = Field(default_factory=list, description="indexes into the sections, in citing order")
    reason: str = ""
    model: str = ""
    calls: int = 0
    prompt_tokens: int = 0
    trimmed: list[str] = Field(default_factory=list)


def language(question: str) -> str:
    return "Russian" if is_russian(question) else "English"


def answer_schema(doc_ids: list[str]) -> dict[str, Any]:
    """The answer's schema, small enough for any grammar engine: the shown section ids as an enum,
    no length bound on the answer text (the prompt asks for five sentences; `ModelAnswer` cuts)."""
    citations: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
    if doc_ids:
        citations = {"type": "array", "items": {"type": "string", "enum": doc_ids}, "minItems": 1,
                     "maxItems": len(doc_ids)}
    return {
        "type": "object",
        "properties": {
            "answer": {"type": "string", "minLength": 2},
            "citations": citations,
        },
        "required": ["answer", "citations"],
        "additionalProperties": False,
    }


def _doc_id(index: int) -> str:
    return f"doc:{index + 1}"


def build_messages(question: str, sections: list[SearchResult], ctx: Context) -> list[Message]:
    by_id = {_doc_id(i): s for i, s in enumerate(sections)}
    documents = "\n".join(data_block(p.text, id=p.key, title=by_id[p.key].title, section=by_id[p.key].section)
                          for p in ctx.documents) or "(none)"
    prompt = render("answer", language=language(question), question=data_block(question, id="question"),
                    documents=documents)
    return prompt.messages()


def llm_answer(question: str, sections: list[SearchResult], client: LLMClient, *, budget_tokens: int) -> LLMAnswer:
    """One call (plus at most one repair); never raises for LLM trouble."""
    sections = sections[:MAX_SECTIONS]
    full = Context(evidence=[], documents=[Part(group="document", key=_doc_id(i), label="section",
                                                text=shorten(s.text, SECTION_CHARS)) for i, s in enumerate(sections)])
    ctx, trimmed = fit(full, lambda c: "\n".join(m.content for m in build_messages(question, sections, c)),
                       budget_tokens)
    shown = [p.key for p in ctx.documents]
    call = structured_call(client, build_messages(question, sections, ctx), ModelAnswer, task=TASK,
                           schema=answer_schema(shown), schema_name="answer")
    stats = {"model": call.model, "calls": call.calls, "prompt_tokens": call.prompt_tokens, "trimmed": trimmed}
    if call.answer is None:
        return LLMAnswer(status="unavailable" if call.unavailable else "rejected", reason=call.error, **stats)
    cited = [int(c.removeprefix("doc:")) - 1 for c in dict.fromkeys(call.answer.citations) if c in shown]
    if not cited:  # an answer that points at nothing it was shown is not grounded
        return LLMAnswer(status="rejected", reason="the answer cited none of the sections it was given", **stats)
    return LLMAnswer(status="answered", text=call.answer.answer.strip(), cited=cited, **stats)
