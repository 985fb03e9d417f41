"""The /logs LLM path's validation, measured with a fake LLM that answers each case correctly.

For every case the fake answers with the case's expected translation in the question model
(filters, exclusions, any-of groups, aggregations, sort), and once more with one clause broken
(a field the mapping lacks, an operator the field's type does not take, or a value of the wrong
type). The figure: the share of valid clauses kept in the final query, and of broken answers
rejected (the broken clause, and with it the answer, never reaches OpenSearch).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel, Field

from bench.logs_scoring import NOW, BenchCase, score
from handlers.llm.log_clauses import translate_rest
from integrations.opensearch.config import OpenSearchSettings
from integrations.opensearch.dsl import build_search
from integrations.opensearch.mapping import NUMERIC, IndexSchema
from integrations.opensearch.question_parser import parse
from tests.support.log_cases import CannedLLM

if TYPE_CHECKING:
    from integrations.llm.client import LLMClient


class ValidationFigures(BaseModel):
    answers: int = 0
    clauses: int = 0
    kept: int = 0
    refused_coverage: int = 0
    broken: int = 0
    rejected: int = 0
    broken_kept: int = 0
    correct: int = Field(0, description="cases translated correctly by the rules + the fake LLM's answer")


def _clause(item: dict[str, Any], exclude: bool = False, group: int = 0) -> dict[str, Any]:
    op = {"phrase": "match_phrase", "cidr": "term"}.get(item["op"], item["op"])
    return {"field": item["field"], "op": op, "value": str(item.get("value", "") or ""),
            "values": [str(v) for v in item.get("values", [])],
            **{k: str(item[k]) if item.get(k) is not None else "" for k in ("gte", "gt", "lte", "lt")},
            "exclude": exclude, "group": group, "words": ""}


def answer_for(case: BenchCase) -> dict[str, Any]:
    """The case's expected translation as a correct LLM answer."""
    clauses = [_clause(c) for c in case.expect.must] + [_clause(c, exclude=True) for c in case.expect.must_not]
    clauses += [_clause(c, group=n) for n, group in enumerate(case.expect.any_of, 1) for c in group]
    return {"clauses": clauses, "aggs": [{"field": a["field"], "size": a.get("size", 10)} for a in case.expect.aggs],
            "sort": {"field": (case.expect.sort or {}).get("field", ""),
                     "order": (case.expect.sort or {}).get("order", "desc")},
            "not_understood": case.expect.unsupported, "understood": "the expected translation"}


def broken(answer: dict[str, Any], fields: dict[str, str], turn: int) -> dict[str, Any]:
    """The answer with one clause that validation must refuse (which way cycles with `turn`)."""
    target = next(iter(answer["clauses"]), None) or {"field": next(iter(fields)), "op": "term", "value": "x",
                                                     "values": [], "gte": "", "gt": "", "lte": "", "lt": "",
                                                     "exclude": False, "group": 0, "words": ""}
    bad = dict(target)
    kind = fields.get(bad["field"], "keyword")
    if turn % 3 == 0:
        bad["field"] = "no_such_field"
    elif kind in NUMERIC:
        bad.update(op="term", value="not-a-number", values=[])
    elif kind == "ip":
        bad.update(op="term", value="not-an-ip", values=[])
    elif kind in ("text", "match_only_text"):
        bad.update(op="range", value="", gte="a", lte="z")
    else:
        bad.update(op="range", value="", gte="a", lte="z")
    bad["group"] = 0
    return {**answer, "clauses": [*answer["clauses"], bad]}


def _present(clause: dict[str, Any], body: dict[str, Any]) -> bool:
    text = json.dumps(body["query"], ensure_ascii=False)
    return json.dumps(clause["field"]) in text or clause["field"] in json.dumps(body.get("aggs", {}))


def llm_validation(cases: list[BenchCase], mappings: dict[str, dict[str, str]],
                   config: OpenSearchSettings) -> ValidationFigures:
    figures = ValidationFigures()
    for turn, case in enumerate(cases):
        fields = mappings[case.mapping]
        schema = IndexSchema(pattern=case.mapping, fields=fields)
        parsed = parse(case.question, now=NOW, tz="UTC", default_window=timedelta(seconds=config.default_window_s),
                       schema=schema)
        body = build_search(parsed, schema, max_size=config.max_query_size).body
        good = answer_for(case)
        result = translate_rest(case.question, parsed.not_understood, body, schema,
                                cast("LLMClient", CannedLLM(json.dumps(good))), max_size=config.max_query_size,
                                parsed=parsed)
        figures.answers += 1
        figures.clauses += len(good["clauses"])
        if result.status == "rejected" and result.reason.startswith(("turns around", "replaces")):
            figures.refused_coverage += 1
        else:
            final = result.body or body
            figures.kept += sum(_present(c, final) for c in good["clauses"])
            figures.correct += not score(case, final, [*result.not_understood, *parsed.not_understood], fields,
                                         next(iter(fields)))
        bad = broken(good, fields, turn)
        result = translate_rest(case.question, parsed.not_understood, body, schema,
                                cast("LLMClient", CannedLLM(json.dumps(bad))), max_size=config.max_query_size,
                                parsed=parsed)
        figures.broken += 1
        figures.rejected += result.status == "rejected"
        sent = json.dumps(result.body or {}) if result.status == "added" else ""
        figures.broken_kept += any(mark in sent for mark in ("no_such_field", "not-a-number", "not-an-ip", '"z"'))
    return figures
