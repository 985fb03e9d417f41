"""The /logs LLM path's validation, measured with a fake LLM that answers each case correctly.

For every case the fake answers with the case's expected translation in the question model
(filters, exclusions, any-of groups, aggregations, sort), and once more with one clause broken
(a field the mapping lacks, an operator the field's type does not take, or a value of the wrong
type). Both go through the real /logs path (handlers.logs.translate: the rules, their guesses
withheld from the query the LLM extends, the merge, validation), so the LLM is asked only where the
rules left words over, as on the card. The figures: the share of valid clauses in the final query,
of broken answers not merged (the broken clause never reaches OpenSearch), and of cases the final
query gets right.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel, Field

from bench.logs_scoring import NOW, BenchCase, score
from handlers.logs import LogsError, Translation, translate
from integrations.opensearch.config import OpenSearchSettings
from integrations.opensearch.mapping import NUMERIC
from tests.support.log_cases import CannedLLM

if TYPE_CHECKING:
    from integrations.llm.client import LLMClient


class ValidationFigures(BaseModel):
    answers: int = 0
    asked: int = Field(0, description="cases where the /logs path asked the LLM at all (words left over)")
    clauses: int = 0
    kept: int = 0
    refused_coverage: int = 0
    broken: int = 0
    broken_asked: int = Field(0, description="broken answers the path asked for (the rest never reached the merge)")
    rejected: int = Field(0, description="broken answers asked for and not merged")
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


def _translated(case: BenchCase, fields: dict[str, str], config: OpenSearchSettings,
                answer: dict[str, Any]) -> tuple[Translation | None, int]:
    """The card's translation with the fake LLM answering `answer`, and how often it was asked."""
    llm = CannedLLM(json.dumps(answer))
    try:
        result = translate(case.question, fields, config, index=case.mapping, now=NOW, llm=cast("LLMClient", llm))
    except LogsError:  # refused as a whole: nothing is sent
        return None, llm.calls
    return result, llm.calls


def llm_validation(cases: list[BenchCase], mappings: dict[str, dict[str, str]],
                   config: OpenSearchSettings) -> ValidationFigures:
    figures = ValidationFigures()
    for turn, case in enumerate(cases):
        fields = mappings[case.mapping]
        good = answer_for(case)
        result, calls = _translated(case, fields, config, good)
        figures.answers += 1
        figures.asked += calls > 0
        figures.clauses += len(good["clauses"])
        if result is not None:
            if "turns around" in result.llm_note or "replaces" in result.llm_note:
                figures.refused_coverage += 1
            figures.kept += sum(_present(c, result.dsl) for c in good["clauses"])
            figures.correct += not score(case, result.dsl, result.not_understood, fields, next(iter(fields)))
        bad = broken(good, fields, turn)
        result, calls = _translated(case, fields, config, bad)
        figures.broken += 1
        figures.broken_asked += calls > 0
        figures.rejected += calls > 0 and (result is None or not result.used_llm)  # of those asked
        sent = json.dumps(result.dsl) if result is not None and result.used_llm else ""
        figures.broken_kept += any(mark in sent for mark in ("no_such_field", "not-a-number", "not-an-ip", '"z"'))
    return figures
