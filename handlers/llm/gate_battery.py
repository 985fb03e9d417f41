"""The competence gate's battery: cases as data (`battery/*.yaml`) and how an answer is scored.

One file per task kind the bot sends to an LLM. A case is what the bot would send (a triage card:
alert, findings, evidence and retrieved runbook sections; a /ceph or /redis diagnosis card; an /ask
question with sections; a /logs question with the index's fields and the words the rules left over)
and what a grounded answer must and must not contain. `reference` is a grounded answer as a model
would return it: it scores 1.0 (the tests check), so every case can be passed.

An answer scores the share of its case's `must` rules it meets, halved for each instruction it
ignored (a command validation refused, a number the input does not contain, a quoted command no
section contains). It scores 0 when the call failed or the answer was rejected, and when it broke a
`must_not` rule: a cause the input contradicts, an id the input does not have, a command that
changes something, a clause on a field that does not belong. `battery_hash` covers the case files,
the prompts they are sent with and the scoring version, so a result of an older battery is stale.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from core.cards import Card, CardField, CardKind, CardStatus
from core.enrichment import Enrichment
from core.models import Citation, Evidence, Finding, Severity
from handlers.llm import explain
from handlers.llm.ask_answer import LLMAnswer
from handlers.llm.command_check import command_allowed
from handlers.llm.log_clauses import LLMTranslation
from handlers.logs import question_for_llm
from integrations.opensearch.dsl import build_search
from integrations.opensearch.mapping import IndexSchema
from integrations.opensearch.question_parser import parse
from knowledge.retrieval import SearchResult
from knowledge.sparse import is_russian

GateKind = Literal["triage", "diagnosis", "ask", "logs"]
KINDS: tuple[GateKind, ...] = ("triage", "diagnosis", "ask", "logs")
SCORING_VERSION = "1"  # raise when the scoring rules change: older results become stale
PROMPT_FILES = ("triage.system.txt", "triage.user.txt", "diagnosis.system.txt", "diagnosis.user.txt",
                "answer.system.txt", "answer.user.txt", "logs.system.txt", "logs.user.txt", "repair.user.txt")
LOGS_NOW = datetime(2026, 11, 22, 13, 0, tzinfo=UTC)  # a fixed "now": the same prompt on every run
LOGS_MAX_SIZE = 100
_NUMBER = re.compile(r"\d[\d.,]*\d|\d")
_CODE = re.compile(r"`([^`\n]{3,})`")
_CHANGES = re.compile(r"(?<![\w-])(delete|del|rm|drain|cordon|restart|stop|kill|scale|edit|apply|patch|replace|set|"
                      r"unset|out|purge|destroy|lost|flushall|flushdb|shutdown|reboot|reweight\S*|undo|unlink|"
                      r"expire|taint|exec|cp)(?!\w)", re.IGNORECASE)


# --- the cases -----------------------------------------------------------------------------------

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClauseRule(_Strict):
    """A clause the answer must add; each listed part must match (a list: any of its items)."""

    field: str | list[str]
    op: str | list[str] = Field(default_factory=list, description="empty: any operator")
    value: str | float | list[str | float] | None = None
    gte: str | float | list[str | float] | None = None
    lte: str | float | list[str | float] | None = None
    exclude: bool = False


class Must(_Strict):
    mention: list[list[str]] = Field(default_factory=list, description="groups of words; one of each group")
    evidence: list[str] = Field(default_factory=list, description="relies on at least one of these ids")
    citations: list[str] = Field(default_factory=list, description="cites at least one of these documents")
    language: Literal["English", "Russian"] | None = None
    clauses: list[ClauseRule] = Field(default_factory=list)

    @field_validator("mention", mode="before")
    @classmethod
    def _groups(cls, value: Any) -> Any:
        return [[item] if isinstance(item, str) else item for item in value or []]

    def points(self) -> int:
        return (len(self.mention) + bool(self.evidence) + bool(self.citations) + (self.language is not None)
                + len(self.clauses))


class MustNot(_Strict):
    mention: list[str] = Field(default_factory=list, description="words of a cause the input contradicts")
    fields: list[str] = Field(default_factory=list, description="/logs: fields no clause may use")


class Section(_Strict):
    source: str
    title: str
    section: str = ""
    text: str = ""


class CaseCard(_Strict):
    title: str
    severity: Severity = Severity.warning
    summary: str = ""
    text: str = ""
    fields: dict[str, str] = Field(default_factory=dict)


class _Case(_Strict):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    title: str = Field(description="what the case is about, one line")
    must: Must
    must_not: MustNot = Field(default_factory=MustNot)
    reference: dict[str, Any] = Field(description="a grounded answer, as the model would return it")


class ExplainCase(_Case):
    """A triage card (alert, findings, evidence, retrieved runbook sections) or a /ceph, /redis
    diagnosis card (its facts and check details are its evidence; findings and citations on it)."""

    kind: Literal["triage", "diagnosis"]
    system: str = Field("", description="diagnosis: what the card diagnoses ('Ceph cluster')")
    card: CaseCard
    findings: list[Finding] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    documents: list[Section] = Field(default_factory=list, description="doc:1, doc:2, ... in this order")

    def explain_input(self) -> explain.ExplainInput:
        fields = [CardField(name=k, value=v) for k, v in self.card.fields.items()]
        citations = [Citation(source=d.source, title=d.title, section=d.section, score=1.0) for d in self.documents]
        if self.kind == "diagnosis":
            card = Card(kind=CardKind.diagnosis, status=CardStatus.done, title=self.card.title,
                        severity=self.card.severity, summary=self.card.summary, text=self.card.text, fields=fields,
                        findings=self.findings, citations=citations)
            return explain.diagnosis_input(card, self.system)
        card = Card(kind=CardKind.triage, status=CardStatus.firing, title=self.card.title,
                    severity=self.card.severity, summary=self.card.summary, text=self.card.text, fields=fields)
        chunks = [Evidence(id=f"knowledge:{d.source}#{d.section}", source=explain.KNOWLEDGE_SOURCE, title=d.title,
                           data={"source": d.source, "section": d.section, "text": d.text}) for d in self.documents]
        return explain.triage_input(card, Enrichment(findings=self.findings, evidence=[*self.evidence, *chunks],
                                                     citations=citations))

    def problems(self) -> list[str]:
        inp = self.explain_input()
        found = []
        if self.kind == "triage" and not self.evidence:
            found.append("a triage case lists the evidence its collectors gathered")
        if self.kind == "diagnosis" and self.evidence:
            found.append("a diagnosis case has no evidence list: its card is the evidence")
        found += [f"unknown evidence id {i}" for i in self.must.evidence if i not in {e.id for e in inp.evidence}]
        return found + [f"unknown document {d}" for d in self.must.citations if d not in {x.id for x in inp.documents}]


class AskCase(_Case):
    kind: Literal["ask"]
    question: str
    sections: list[Section] = Field(min_length=1, description="doc:1, doc:2, ... in this order")

    def results(self) -> list[SearchResult]:
        return [SearchResult(source=s.source, title=s.title, section=s.section, score=1.0 - i / 10, text=s.text,
                             doc_type="runbook") for i, s in enumerate(self.sections)]

    def problems(self) -> list[str]:
        known = {f"doc:{i}" for i in range(1, len(self.sections) + 1)}
        return [f"unknown section {d}" for d in self.must.citations if d not in known]


class LogsCase(_Case):
    kind: Literal["logs"]
    question: str
    fields: dict[str, str] = Field(description="the index's fields: name -> OpenSearch type")
    leftover: list[str] = Field(min_length=1, description="the words the rules did not understand")

    def index_schema(self) -> IndexSchema:
        return IndexSchema(pattern=f"{self.id}-*", fields=self.fields)

    def base_body(self) -> dict[str, Any]:
        """The query the rules build for the question (what the LLM is asked to extend)."""
        question = parse(self.question, now=LOGS_NOW, tz="UTC", schema=self.index_schema())
        return build_search(question_for_llm(question), self.index_schema(), max_size=LOGS_MAX_SIZE).body

    def problems(self) -> list[str]:
        try:
            self.base_body()
        except ValueError as exc:
            return [str(exc)]
        named = [f for r in self.must.clauses for f in ([r.field] if isinstance(r.field, str) else r.field)]
        found = [f"unknown field {f}" for f in [*named, *self.must_not.fields] if f not in self.fields]
        return found + [f"leftover {w!r} is not in the question" for w in self.leftover if w not in self.question]


Case = Annotated[ExplainCase | AskCase | LogsCase, Field(discriminator="kind")]
_CASES: TypeAdapter[list[Case]] = TypeAdapter(list[Case])


class BatteryError(ValueError):
    """A battery file that does not describe valid cases."""


def _battery_files() -> list[tuple[str, bytes]]:
    folder = resources.files("handlers.llm").joinpath("battery")
    return sorted((f.name, f.read_bytes()) for f in folder.iterdir() if f.name.endswith(".yaml"))


@cache
def load_battery() -> tuple[Case, ...]:
    """Every case, in the order of KINDS and then of the files. Raises BatteryError."""
    cases: list[Case] = []
    for name, raw in _battery_files():
        try:
            doc = yaml.safe_load(raw) or {}
            cases += _CASES.validate_python([{"kind": doc.get("kind"), **c} for c in doc.get("cases") or []])
        except (yaml.YAMLError, ValidationError, AttributeError, TypeError) as exc:
            raise BatteryError(f"battery/{name}: {exc}") from None
    ids = [c.id for c in cases]
    if len(set(ids)) != len(ids):
        raise BatteryError("battery: duplicate case ids")
    if problems := [f"{c.id}: {p}" for c in cases for p in c.problems()]:
        raise BatteryError("battery: " + "; ".join(problems))
    if empty := [c.id for c in cases if not c.must.points()]:
        raise BatteryError(f"battery: cases without must rules: {', '.join(empty)}")
    return tuple(sorted(cases, key=lambda c: KINDS.index(c.kind)))


@cache
def battery_hash() -> str:
    """Of the case files, the prompts they are sent with and the scoring version."""
    digest = hashlib.sha256(SCORING_VERSION.encode())
    prompts = resources.files("prompts")
    for name, raw in [*_battery_files(), *((p, prompts.joinpath(p).read_bytes()) for p in PROMPT_FILES)]:
        digest.update(name.encode() + b"\0" + raw + b"\0")
    return digest.hexdigest()[:16]


# --- scoring -------------------------------------------------------------------------------------

class Score(BaseModel):
    score: float
    reason: str


def _has(text: str, word: str) -> bool:
    """`word` starts a word of `text` (any case): "OOM" finds "OOMKilled", not "room"; "osd.1" not "osd.12"."""
    end = r"(?!\d|\.\d)" if word[-1:].isdigit() else ""
    return re.search(r"(?<!\w)" + re.escape(word) + end, text, re.IGNORECASE) is not None


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}


def _near(number: str, known: str) -> bool:
    """The same number, or `known` rounded to the digits `number` has (6.7 of 6.667, 87 of 87.12)."""
    if known == number:
        return True
    try:
        return round(float(known), len(number.partition(".")[2])) == float(number)
    except ValueError:
        return False


def new_numbers(answer: str, source: str) -> list[str]:
    """Numbers of two digits or more in `answer` that `source` has nowhere, not even rounded (33 of 33.3)."""
    known = _numbers(source)
    return sorted(n for n in _numbers(answer) if len(n.replace(".", "")) > 1 and not any(_near(n, k) for k in known))


def changes_something(command: str) -> bool:
    """A command with a verb that writes (delete, restart, set, out, flushall, ...): never a next step."""
    return _CHANGES.search(command) is not None


def _rate(must: Must, missing: list[str], sloppy: list[str]) -> Score:
    """The share of the must rules met, halved for each instruction the answer ignored."""
    total = must.points()
    score = (total - len(missing)) / total * 0.5 ** len(sloppy) if total else 0.0
    notes = [f"{label} {'; '.join(items)}" for label, items in (("missing", missing), ("halved:", sloppy)) if items]
    return Score(score=round(score, 3), reason=" · ".join(notes) or "ok")


def _words(must: Must, must_not: MustNot, text: str) -> tuple[list[str], str]:
    """(the must rules on words that `text` misses, the must-not word it says or '')."""
    if said := [w for w in must_not.mention if _has(text, w)]:
        return [], f"says {said[0]!r}, which the input contradicts"
    missing = ["mention " + "|".join(group) for group in must.mention if not any(_has(text, w) for w in group)]
    if must.language is not None and ("Russian" if is_russian(text) else "English") != must.language:
        missing.append(f"answer in {must.language}")
    return missing, ""


def score_explanation(case: ExplainCase, inp: explain.ExplainInput, result: explain.ExplainResult,
                      suggested: list[str]) -> Score:
    """`suggested`: the commands the model proposed, before validation kept or refused them."""
    if result.status != "explained" or result.explanation is None:
        return Score(score=0.0, reason=f"{result.status}: {result.reason}")
    exp = result.explanation
    if unknown := [d for d in exp.dropped if "unknown" in d]:
        return Score(score=0.0, reason="cites " + ", ".join(unknown))
    cited = [d.text for d in inp.documents if d.citation in exp.citations]
    refused = [c for c in suggested if command_allowed(c, cited) is not None]
    if writes := [c for c in refused if changes_something(c)]:
        return Score(score=0.0, reason=f"suggests `{writes[0]}`, which changes something")
    missing, said = _words(case.must, case.must_not, exp.cause)
    if said:
        return Score(score=0.0, reason=said)
    if case.must.evidence and not set(case.must.evidence) & set(exp.evidence_refs):
        missing.append("evidence " + "|".join(case.must.evidence))
    docs = {d.citation.source + "#" + d.citation.section: d.id for d in inp.documents}
    if case.must.citations and not set(case.must.citations) & {docs.get(c.source + "#" + c.section)
                                                                for c in exp.citations}:
        missing.append("citation " + "|".join(case.must.citations))
    source = "\n".join([inp.header, *(f.model_dump_json() for f in inp.findings), *(e.text for e in inp.evidence),
                        *(d.text for d in inp.documents)])
    sloppy = [f"suggests `{c}`, not allowlisted" for c in refused[:1]]
    sloppy += [f"the number {n} is not in the input" for n in new_numbers(exp.cause, source)[:1]]
    return _rate(case.must, missing, sloppy)


def score_answer(case: AskCase, answer: LLMAnswer) -> Score:
    if answer.status != "answered":
        return Score(score=0.0, reason=f"{answer.status}: {answer.reason}")
    quoted = [c for c in _CODE.findall(answer.text) if not any(c.strip() in s.text for s in case.sections)]
    if writes := [c for c in quoted if changes_something(c)]:
        return Score(score=0.0, reason=f"quotes `{writes[0]}`, which changes something and no section contains")
    missing, said = _words(case.must, case.must_not, answer.text)
    if said:
        return Score(score=0.0, reason=said)
    if case.must.citations and not {f"doc:{i + 1}" for i in answer.cited} & set(case.must.citations):
        missing.append("citation " + "|".join(case.must.citations))
    source = "\n".join([case.question, *(s.text for s in case.sections)])
    sloppy = [f"quotes `{c}`, which no section contains" for c in quoted[:1]]
    sloppy += [f"the number {n} is not in the sections" for n in new_numbers(answer.text, source)[:1]]
    return _rate(case.must, missing, sloppy)


def _matches(expected: Any, actual: Any) -> bool:
    if expected is None:
        return True
    for item in expected if isinstance(expected, list) else [expected]:
        try:
            if float(item) == float(actual):
                return True
        except (TypeError, ValueError):
            if str(item).strip().lower() == str(actual).strip().lower():
                return True
    return False


def _clause_matches(rule: ClauseRule, clause: dict[str, Any]) -> bool:
    ((op, spec),) = clause.items()
    if rule.op and not _matches(rule.op, op):
        return False
    if op == "exists":
        return _matches(rule.field, spec.get("field"))
    ((name, value),) = spec.items()
    if not _matches(rule.field, name):
        return False
    if op == "range":
        return _matches(rule.gte, value.get("gte")) and _matches(rule.lte, value.get("lte"))
    return _matches(rule.value, value)


def score_clauses(case: LogsCase, base: dict[str, Any], translation: LLMTranslation) -> Score:
    """`base`: the query the rules built, which the translation extends."""
    if translation.status in ("rejected", "unavailable"):
        return Score(score=0.0, reason=f"{translation.status}: {translation.reason}")
    before, after = base["query"]["bool"], (translation.body or base)["query"]["bool"]
    added = {False: after["filter"][len(before["filter"]):],
             True: after.get("must_not", [])[len(before.get("must_not", [])):]}
    for clause in added[False] + added[True]:
        ((op, spec),) = clause.items()
        name = spec.get("field") if op == "exists" else next(iter(spec))
        if name in case.must_not.fields:
            return Score(score=0.0, reason=f"adds a clause on {name}, which does not belong")
    missing = [_describe(r) for r in case.must.clauses if not any(_clause_matches(r, c) for c in added[r.exclude])]
    return _rate(case.must, missing, [])


def _describe(rule: ClauseRule) -> str:
    def one(value: Any) -> str:
        return "|".join(str(v) for v in value) if isinstance(value, list) else str(value)

    parts = [f"{'exclude' if rule.exclude else 'clause'} {one(rule.op) or 'any'} on {one(rule.field)}"]
    bounds = (("=", rule.value), (">=", rule.gte), ("<=", rule.lte))
    parts += [f"{name} {one(v)}" for name, v in bounds if v is not None]
    return " ".join(parts)
