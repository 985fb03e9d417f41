"""The LLM for a whole log question: one call, the answer in the project's question model, checked.

The model sees the question, the index's fields and types (field names are an enum of the mapping
in the schema), the rules' draft translation and the words the rules did not understand, and
returns the whole question as clauses (field, operator, value(s) or bounds, include or exclude, an
any-of group, the question words each came from), terms aggregations and a sort. The answer is
merged with the rules' translation: it is used only when it validates (handlers' validator: known
fields, type-correct operators, size cap, time range) and keeps everything the rules understood: a
clause the rules built may be repeated but never turned around (included where the rules exclude,
or the reverse) nor replaced by another value on the same field. Otherwise the card keeps the
deterministic query and says why.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field

from integrations.llm.prompts import data_block, render
from integrations.llm.structured import clip, structured_call
from integrations.opensearch.dsl import add_clauses, any_of_clause, field_clause
from integrations.opensearch.mapping import EXACT, IndexSchema
from integrations.opensearch.question import FieldClause, LogQuestion
from integrations.opensearch.validate import validate_search

if TYPE_CHECKING:
    from integrations.llm.client import LLMClient

MAX_CLAUSES = 12
MAX_VALUES = 10
MAX_AGGS = 3
MAX_FIELDS_SHOWN = 200
VALUE_CHARS = 100  # a term, phrase or prefix; the schema's bound (grammar-cheap: tens, not hundreds)
BOUND_CHARS = 40  # a range bound: a number, a date, an IP
WORDS_CHARS = 80  # the question words a clause came from
UNDERSTOOD_CHARS = 400  # prose: cut after parsing, not bounded in the schema
TASK = "qa"
OPS = ("term", "terms", "match_phrase", "match", "prefix", "wildcard", "range", "exists")
Op = Literal["term", "terms", "match_phrase", "match", "prefix", "wildcard", "range", "exists"]


class LLMClause(BaseModel):
    field: str
    op: Op
    value: str = ""
    values: list[str] = Field(default_factory=list, max_length=MAX_VALUES)
    gte: str = ""
    gt: str = ""
    lte: str = ""
    lt: str = ""
    exclude: bool = False
    group: int = Field(0, ge=0, le=5, description="0: on its own; n > 0: any one of the clauses with group n")
    words: Annotated[str, BeforeValidator(clip(WORDS_CHARS))] = ""


class LLMAgg(BaseModel):
    field: str
    size: int = Field(10, ge=1, le=100)


class LLMSort(BaseModel):
    field: str = ""
    order: Literal["asc", "desc"] = "desc"


class LLMClauses(BaseModel):
    """The whole question in the question model (older answers with only `clauses` still parse)."""

    clauses: list[LLMClause] = Field(default_factory=list, max_length=MAX_CLAUSES)
    aggs: list[LLMAgg] = Field(default_factory=list, max_length=MAX_AGGS)
    sort: LLMSort = Field(default_factory=LLMSort)
    not_understood: list[str] = Field(default_factory=list, max_length=MAX_CLAUSES)
    understood: Annotated[str, BeforeValidator(clip(UNDERSTOOD_CHARS))] = ""


class LLMTranslation(BaseModel):
    status: Literal["added", "nothing", "rejected", "unavailable"]
    body: dict[str, Any] | None = None
    understood: str = ""
    parts: list[str] = Field(default_factory=list, description="each added part with the words it came from")
    not_understood: list[str] = Field(default_factory=list)
    reason: str = ""
    calls: int = 0


def clauses_schema(fields: list[str]) -> dict[str, Any]:
    """Small bounds only (grammar engines expand each into rules); prose is cut after parsing."""
    text = {"type": "string", "maxLength": VALUE_CHARS}
    bound = {"type": "string", "maxLength": BOUND_CHARS}
    name = {"type": "string", "enum": fields}
    clause = {"type": "object", "properties": {
        "field": name, "op": {"type": "string", "enum": list(OPS)}, "value": text,
        "values": {"type": "array", "items": text, "maxItems": MAX_VALUES},
        "gte": bound, "gt": bound, "lte": bound, "lt": bound, "exclude": {"type": "boolean"},
        "group": {"type": "integer", "minimum": 0, "maximum": 5},
        "words": {"type": "string", "maxLength": WORDS_CHARS}},
        "required": ["field", "op", "value", "values", "gte", "gt", "lte", "lt", "exclude", "group", "words"],
        "additionalProperties": False}
    agg = {"type": "object", "properties": {"field": name, "size": {"type": "integer", "minimum": 1,
                                                                      "maximum": 100}},
           "required": ["field", "size"], "additionalProperties": False}
    sort = {"type": "object", "properties": {"field": {"type": "string", "enum": ["", *fields]},
                                             "order": {"type": "string", "enum": ["asc", "desc"]}},
            "required": ["field", "order"], "additionalProperties": False}
    return {"type": "object", "properties": {
        "clauses": {"type": "array", "items": clause, "maxItems": MAX_CLAUSES},
        "aggs": {"type": "array", "items": agg, "maxItems": MAX_AGGS}, "sort": sort,
        "not_understood": {"type": "array", "items": {"type": "string", "maxLength": WORDS_CHARS},
                           "maxItems": MAX_CLAUSES},
        "understood": {"type": "string"}},
        "required": ["clauses", "aggs", "sort", "not_understood", "understood"], "additionalProperties": False}


def _number(value: str) -> str | int | float:
    """Bounds and numeric values as numbers when they are numbers (dates and IPs stay strings)."""
    try:
        return int(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return value


def _typed(value: str, field: str, schema: IndexSchema) -> str | int | float:
    kind = schema.type_of(field) or ""
    return value if kind in EXACT or kind in ("ip", "text", "match_only_text") else _number(value)


def to_clause(clause: LLMClause, schema: IndexSchema) -> FieldClause:
    """The LLM's clause in the question model (values typed as the field's type wants them)."""
    op = "phrase" if clause.op == "match_phrase" else clause.op
    bounds = {k: _number(v) for k in ("gte", "gt", "lte", "lt") if (v := getattr(clause, k))}
    if op == "range" and not bounds and clause.value:
        bounds = {"gte": _number(clause.value)}
    values = [_typed(v, clause.field, schema) for v in clause.values] or \
        ([_typed(clause.value, clause.field, schema)] if op == "terms" and clause.value else [])
    return FieldClause(field=clause.field, op=op, value=_typed(clause.value, clause.field, schema)
                       if op not in ("range", "terms", "exists") else None, values=values, exclude=clause.exclude,
                       words=clause.words, **bounds)


def to_dsl(clause: LLMClause, schema: IndexSchema) -> dict[str, Any]:
    return field_clause(to_clause(clause, schema))


def _key(leaf: dict[str, Any]) -> str:
    return json.dumps(leaf, sort_keys=True, ensure_ascii=False, default=str).lower()


def _exact_values(leaf: dict[str, Any]) -> tuple[str, set[str]] | None:
    """(field, lower-cased values) of a term/terms leaf, else None."""
    (op, spec), = leaf.items()
    if op not in ("term", "terms"):
        return None
    (name, value), = spec.items()
    values = value if isinstance(value, list) else [value.get("value") if isinstance(value, dict) else value]
    return name.removesuffix(".keyword"), {str(v).lower() for v in values}


def _covered(leaf: dict[str, Any], exclude: bool, body: dict[str, Any]) -> bool:
    """Whether the rules already have this exact-value condition (case and spelling variants aside)."""
    mine = _exact_values(leaf)
    if mine is None:
        return False
    query = body["query"]["bool"]
    built = query.get("must_not", []) if exclude else query["filter"][1:]
    return any((theirs := _exact_values(c)) is not None and theirs[0] == mine[0] and mine[1] <= theirs[1]
               for c in built)


def _contradiction(added: list[tuple[dict[str, Any], bool]], body: dict[str, Any]) -> str:
    """Why the LLM's clauses turn around or replace what the rules built ('' when they do not)."""
    query = body["query"]["bool"]
    rules = [(c, False) for c in query["filter"][1:]] + [(c, True) for c in query.get("must_not", [])]
    for leaf, exclude in added:
        for built, built_exclude in rules:
            if _key(leaf) == _key(built) and exclude != built_exclude:
                return f"turns around what the rules understood: {_key(built)}"
            mine, theirs = _exact_values(leaf), _exact_values(built)
            if not exclude and not built_exclude and mine and theirs and mine[0] == theirs[0] \
                    and not mine[1] & theirs[1]:
                return f"replaces what the rules understood: {_key(built)}"
    return ""


def _prompt_draft(parsed: LogQuestion | None, body: dict[str, Any]) -> str:
    if parsed is None:
        return json.dumps(body["query"], ensure_ascii=False)
    draft = {"clauses": [c.model_dump(exclude_none=True, exclude_defaults=True) for c in parsed.clauses],
             "any_of": [[c.model_dump(exclude_none=True, exclude_defaults=True) for c in g] for g in parsed.any_of],
             "aggs": [a.field for a in parsed.aggregations if a.kind == "top"],
             "sort": parsed.sort_field or "time"}
    return json.dumps(draft, ensure_ascii=False)


def translate_rest(question: str, leftover: list[str], body: dict[str, Any], schema: IndexSchema,
                   client: LLMClient, *, max_size: int, parsed: LogQuestion | None = None) -> LLMTranslation:
    """Ask once for the whole question; merge what it adds to the rules' `body`. Never raises for LLM trouble."""
    fields = sorted(name for name, kind in schema.fields.items() if kind not in ("object", "nested"))[
        :MAX_FIELDS_SHOWN]
    prompt = render("logs", question=data_block(question, id="question"),
                    fields="\n".join(f"{name}: {schema.fields[name]}" for name in fields),
                    query=_prompt_draft(parsed, body), leftover=", ".join(leftover))
    call = structured_call(client, prompt.messages(), LLMClauses, task=TASK, schema=clauses_schema(fields),
                           schema_name="log_clauses")
    if call.answer is None:
        return LLMTranslation(status="unavailable" if call.unavailable else "rejected", reason=call.error,
                              calls=call.calls)
    answer = call.answer
    unknown = [c.field for c in answer.clauses if c.field not in schema.fields]
    if unknown:
        return LLMTranslation(status="rejected", reason=f"unknown field '{unknown[0]}'", calls=call.calls)
    query = body["query"]["bool"]
    known = {False: {_key(c) for c in query["filter"]}, True: {_key(c) for c in query.get("must_not", [])}}
    added: list[tuple[dict[str, Any], bool]] = []
    parts: list[str] = []
    groups: dict[int, list[FieldClause]] = {}
    for item in answer.clauses:
        clause = to_clause(item, schema)
        if item.group and not item.exclude:
            groups.setdefault(item.group, []).append(clause)
            continue
        leaf = field_clause(clause)
        if _key(leaf) not in known[clause.exclude] and not _covered(leaf, clause.exclude, body):
            added.append((leaf, clause.exclude))
            parts.append(_part(leaf, clause.exclude, item.words))
    for group in groups.values():
        leaf = any_of_clause(group) if len(group) > 1 else field_clause(group[0])
        if _key(leaf) not in known[False]:
            added.append((leaf, False))
            parts.append(_part(leaf, False, " / ".join(c.words for c in group if c.words)))
    problem = _contradiction(added, body)
    if problem:
        return LLMTranslation(status="rejected", reason=problem, calls=call.calls)
    extended = add_clauses(body, [leaf for leaf, exclude in added if not exclude],
                           [leaf for leaf, exclude in added if exclude])
    extended, more = _shape(extended, answer, schema)
    parts += more
    if not parts:
        return LLMTranslation(status="nothing", understood=answer.understood, calls=call.calls)
    errors = validate_search(extended, schema, max_size=max_size)
    if errors:
        return LLMTranslation(status="rejected", reason="; ".join(errors[:3]), calls=call.calls)
    return LLMTranslation(status="added", body=extended, understood=answer.understood, parts=parts,
                          not_understood=[w for w in answer.not_understood if w.strip()], calls=call.calls)


def _shape(body: dict[str, Any], answer: LLMClauses, schema: IndexSchema) -> tuple[dict[str, Any], list[str]]:
    """Aggregations and a sort the rules did not have (the rules' own are kept)."""
    parts: list[str] = []
    aggs = dict(body.get("aggs", {}))
    have = {spec.get("field") for agg in aggs.values() for spec in agg.values() if isinstance(spec, dict)}
    for agg in answer.aggs:
        name = schema.exact(agg.field) or agg.field
        if name not in have:
            aggs[f"top_{name}"] = {"terms": {"field": name, "size": agg.size}}
            parts.append(f"top {agg.size} values of {name} (LLM)")
    shaped = {**body}
    if aggs:
        shaped["aggs"] = aggs
        if "aggs" not in body:
            shaped["size"] = 0
    time_field = schema.time_field
    current = next(iter(body["sort"][0])) if body.get("sort") else time_field
    if answer.sort.field and answer.sort.field != current and current == time_field:
        shaped["sort"] = [{answer.sort.field: {"order": answer.sort.order}}]
        parts.append(f"sorted by {answer.sort.field} {answer.sort.order} (LLM)")
    return shaped, parts


def _part(leaf: dict[str, Any], exclude: bool, words: str) -> str:
    text = json.dumps(leaf, ensure_ascii=False)
    return ("not " if exclude else "") + text + (f' (LLM, from "{words}")' if words else " (LLM)")
