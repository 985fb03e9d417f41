"""The LLM for what the rules did not understand in a log question: one call, clauses checked.

The model sees the index's fields and types, what the rules already built, and the words they left
over, and returns extra clauses (field, operator, value, include or exclude). They are turned into
DSL and checked by the same validator as everything else; anything invalid rejects the whole
answer, and the card keeps the deterministic query and says what was not understood.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field

from integrations.llm.prompts import data_block, render
from integrations.llm.structured import clip, structured_call
from integrations.opensearch.dsl import add_clauses
from integrations.opensearch.mapping import IndexSchema
from integrations.opensearch.validate import validate_search

if TYPE_CHECKING:
    from integrations.llm.client import LLMClient

MAX_CLAUSES = 5
MAX_FIELDS_SHOWN = 200
VALUE_CHARS = 100  # a term, phrase or prefix; the schema's bound (grammar-cheap: tens, not hundreds)
BOUND_CHARS = 40  # a range bound: a number, a date, an IP
UNDERSTOOD_CHARS = 400  # prose: cut after parsing, not bounded in the schema
TASK = "qa"
OPS = ("term", "match_phrase", "prefix", "range", "exists")
Op = Literal["term", "match_phrase", "prefix", "range", "exists"]


class LLMClause(BaseModel):
    field: str
    op: Op
    value: str = ""
    gte: str = ""
    lte: str = ""
    exclude: bool = False


class LLMClauses(BaseModel):
    clauses: list[LLMClause] = Field(default_factory=list, max_length=MAX_CLAUSES)
    understood: Annotated[str, BeforeValidator(clip(UNDERSTOOD_CHARS))] = ""


class LLMTranslation(BaseModel):
    status: Literal["added", "nothing", "rejected", "unavailable"]
    body: dict[str, Any] | None = None
    understood: str = ""
    reason: str = ""
    calls: int = 0


def clauses_schema(fields: list[str]) -> dict[str, Any]:
    """Small bounds only (grammar engines expand each into rules); `understood` is cut after parsing."""
    clause = {"type": "object", "properties": {
        "field": {"type": "string", "enum": fields}, "op": {"type": "string", "enum": list(OPS)},
        "value": {"type": "string", "maxLength": VALUE_CHARS}, "gte": {"type": "string", "maxLength": BOUND_CHARS},
        "lte": {"type": "string", "maxLength": BOUND_CHARS}, "exclude": {"type": "boolean"}},
        "required": ["field", "op", "value", "gte", "lte", "exclude"], "additionalProperties": False}
    return {"type": "object", "properties": {
        "clauses": {"type": "array", "items": clause, "maxItems": MAX_CLAUSES},
        "understood": {"type": "string"}},
        "required": ["clauses", "understood"], "additionalProperties": False}


def _number(value: str) -> str | int | float:
    """Range bounds as numbers when they are numbers (dates and IPs stay strings)."""
    try:
        return int(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return value


def to_dsl(clause: LLMClause, schema: IndexSchema) -> dict[str, Any]:
    if clause.op == "exists":
        return {"exists": {"field": clause.field}}
    if clause.op == "range":
        bounds = {k: _number(v) for k, v in (("gte", clause.gte), ("lte", clause.lte)) if v}
        return {"range": {clause.field: bounds or {"gte": _number(clause.value)}}}
    return {clause.op: {clause.field: clause.value}}


def translate_rest(question: str, leftover: list[str], body: dict[str, Any], schema: IndexSchema,
                   client: LLMClient, *, max_size: int) -> LLMTranslation:
    """Ask once for clauses covering `leftover`; never raises for LLM trouble."""
    fields = sorted(name for name, kind in schema.fields.items() if kind not in ("object", "nested"))[
        :MAX_FIELDS_SHOWN]
    prompt = render("logs", question=data_block(question, id="question"),
                    fields="\n".join(f"{name}: {schema.fields[name]}" for name in fields),
                    query=json.dumps(body["query"], ensure_ascii=False), leftover=", ".join(leftover))
    call = structured_call(client, prompt.messages(), LLMClauses, task=TASK, schema=clauses_schema(fields),
                           schema_name="log_clauses")
    if call.answer is None:
        return LLMTranslation(status="unavailable" if call.unavailable else "rejected", reason=call.error,
                              calls=call.calls)
    if not call.answer.clauses:
        return LLMTranslation(status="nothing", understood=call.answer.understood, calls=call.calls)
    include = [to_dsl(c, schema) for c in call.answer.clauses if not c.exclude]
    exclude = [to_dsl(c, schema) for c in call.answer.clauses if c.exclude]
    extended = add_clauses(body, include, exclude)
    errors = validate_search(extended, schema, max_size=max_size)
    if errors:
        return LLMTranslation(status="rejected", reason="; ".join(errors[:3]), calls=call.calls)
    return LLMTranslation(status="added", body=extended, understood=call.answer.understood, calls=call.calls)
