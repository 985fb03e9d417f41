"""The LLM explanation of a card: one schema-bound call, validated, or an honest fallback.

`triage_input` / `diagnosis_input` gather what the card already knows (alert or request, findings,
evidence, retrieved runbook excerpts); `explain` fits it into the prompt budget, makes ONE call
(plus at most one repair call when the answer is not valid JSON for the schema) and validates the
answer: unknown evidence ids and citations are dropped, and a suggested command survives only if a
read-only allowlist passes it or a cited runbook quotes it. `triage_enrichment` / `explained_card`
put the result on the card as a *hypothesis*, apart from the findings, only when it cites something
the card shows and the model passed its competence gate; otherwise (server down, answer unusable or
ungrounded, model not trusted) the card is unchanged except one footer line saying why.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, Field

from core.cards import Card, Hypothesis
from core.enrichment import Enrichment
from core.models import Citation, Evidence, Finding, Step
from handlers.llm.command_check import command_allowed
from integrations.llm.budget import Context, Part, fit, shorten
from integrations.llm.prompts import data_block, render
from integrations.llm.structured import failure_note, parse_json_object, structured_call
from integrations.llm.types import Message

if TYPE_CHECKING:
    from integrations.llm.client import LLMClient

log = logging.getLogger(__name__)

LLM_NOTE = "LLM"  # every footer line the LLM pass writes starts with it
KNOWLEDGE_SOURCE = "knowledge"  # evidence of retrieved chunks (handlers.enrichers.knowledge.chunk_evidence)
MAX_DOCUMENTS = 6
MAX_EVIDENCE_CHARS = 2000
MAX_DOC_CHARS = 1500
MAX_FINDINGS = 15
MAX_STEPS = 3
# Bounds on the answer: its worst case (~250 tokens) stays under the default max_tokens (400), and a
# small CPU model that fills every field to the limit still answers within seconds.
CAUSE_CHARS = 240
COMMAND_CHARS = 100
WHY_CHARS = 80
EXCERPT_CHARS = 500

CardKindName = Literal["triage", "diagnosis"]


# --- what goes in --------------------------------------------------------------------------------

class Document(BaseModel):
    id: str
    citation: Citation
    text: str = ""


class ExplainInput(BaseModel):
    kind: CardKindName
    system: str = ""  # "Redis instance", "Ceph cluster" (diagnosis prompts name what they explain)
    header: str
    findings: list[Finding] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    documents: list[Document] = Field(default_factory=list)


def _documents(citations: list[Citation], evidence: list[Evidence]) -> list[Document]:
    texts = {(e.data.get("source"), e.data.get("section")): str(e.data.get("text", ""))
             for e in evidence if e.source == KNOWLEDGE_SOURCE}
    return [Document(id=f"doc:{i}", citation=c, text=texts.get((c.source, c.section), ""))
            for i, c in enumerate(citations[:MAX_DOCUMENTS], start=1)]


def _ranked_evidence(findings: list[Finding], evidence: list[Evidence]) -> list[Evidence]:
    """Evidence the findings rely on first (in finding order), then the rest; failed sources last."""
    usable = [e for e in evidence if e.source != KNOWLEDGE_SOURCE]
    order = {ref: i for i, ref in enumerate(r for f in findings for r in f.evidence_refs)}
    return sorted(usable, key=lambda e: (not e.available, order.get(e.id, len(order))))


def triage_input(card: Card, enrichment: Enrichment) -> ExplainInput:
    fields = "\n".join(f"{f.name}: {f.value}" for f in card.fields)
    header = "\n".join(p for p in (card.title, card.summary, fields, card.text) if p)
    findings = sorted(enrichment.findings, key=lambda f: -f.severity.rank)
    return ExplainInput(kind="triage", header=header, findings=findings,
                        evidence=_ranked_evidence(findings, enrichment.evidence),
                        documents=_documents(enrichment.citations, enrichment.evidence))


def diagnosis_input(card: Card, system: str, evidence: list[Evidence] | None = None) -> ExplainInput:
    """A diagnosis card (/ceph, /redis): the card's facts and check details are its evidence."""
    ref = next((r for f in card.findings for r in f.evidence_refs), "diagnosis")
    facts = "\n".join(f"{f.name}: {f.value}" for f in card.fields)
    items = evidence or [Evidence(id=ref, source=system, title=card.title,
                                  text="\n".join(p for p in (facts, card.text) if p))]
    return ExplainInput(kind="diagnosis", system=system, header="\n".join(p for p in (card.title, card.summary) if p),
                        findings=card.findings, evidence=items, documents=_documents(card.citations, items))


# --- the answer ----------------------------------------------------------------------------------

class AnswerStep(BaseModel):
    command: str
    why: str = ""


class Answer(BaseModel):
    """What the model must return (the JSON schema sent to the server is derived from this)."""

    probable_cause: str = Field(min_length=3, max_length=3000)  # lenient: servers without grammars
    confidence: Literal["low", "medium", "high"]
    evidence: list[str] = Field(default_factory=list)
    next_steps: list[AnswerStep] = Field(default_factory=list)
    citations: list[str] = Field(default_factory=list)


def answer_schema(evidence_ids: list[str], doc_ids: list[str]) -> dict[str, Any]:
    """The answer's JSON schema, with the known ids as enums: a grammar-enforcing server (llama.cpp)
    cannot even produce an unknown id; the others are checked after."""
    def ids(known: list[str], most: int) -> dict[str, Any]:
        item: dict[str, Any] = {"type": "string", "enum": known} if known else {"type": "string"}
        return {"type": "array", "items": item, "maxItems": most if known else 0}

    # Grammar engines expand each length bound into nested rules (llama-cpp-python gives up, then
    # crashes, past ~1,000), so only the short fields carry one (tens, not hundreds: commands and
    # reasons stay short); the cause is prose, bounded by the prompt ("one or two sentences") and
    # max_tokens, checked by `Answer` after parsing.
    step = {"type": "object", "properties": {"command": {"type": "string", "maxLength": COMMAND_CHARS},
                                             "why": {"type": "string", "maxLength": WHY_CHARS}},
            "required": ["command", "why"], "additionalProperties": False}
    return {
        "type": "object",
        "properties": {
            "probable_cause": {"type": "string", "minLength": 3},
            "confidence": {"type": "string", "enum": ["low", "medium", "high"]},
            "evidence": ids(evidence_ids, min(6, len(evidence_ids))),
            "next_steps": {"type": "array", "items": step, "maxItems": MAX_STEPS},
            "citations": ids(doc_ids, min(6, len(doc_ids))),
        },
        "required": ["probable_cause", "confidence", "evidence", "next_steps", "citations"],
        "additionalProperties": False,
    }


def parse_answer(text: str) -> Answer:
    """The answer object from the model's text. Raises ValueError with a short reason."""
    return parse_json_object(text, Answer)


class Explanation(BaseModel):
    cause: str
    confidence: str
    evidence_refs: list[str] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    dropped: list[str] = Field(default_factory=list, description="what validation removed, for the card")


def validate(answer: Answer, inp: ExplainInput) -> Explanation:
    known_evidence = {e.id for e in inp.evidence}
    docs = {d.id: d for d in inp.documents}
    refs = list(dict.fromkeys(r for r in answer.evidence if r in known_evidence))
    cited = [docs[c] for c in dict.fromkeys(answer.citations) if c in docs]
    dropped: list[str] = []
    unknown_refs = {r for r in answer.evidence if r not in known_evidence}
    unknown_docs = {c for c in answer.citations if c not in docs}
    if unknown_refs:
        dropped.append(f"{len(unknown_refs)} unknown evidence id(s)")
    if unknown_docs:
        dropped.append(f"{len(unknown_docs)} unknown citation(s)")
    steps: list[Step] = []
    refused = 0
    for suggested in answer.next_steps:
        command = suggested.command.strip().strip("`").strip()
        if not command or len(steps) >= MAX_STEPS:
            continue
        if command_allowed(command, [d.text for d in cited]) is not None:
            refused += 1
            continue
        step = Step(command=command, why=suggested.why.strip()[:300])
        if step not in steps:
            steps.append(step)
    if refused:
        dropped.append(f"{refused} command(s) not read-only-allowlisted nor quoted in a cited runbook")
    return Explanation(cause=shorten(answer.probable_cause.strip(), CAUSE_CHARS), confidence=answer.confidence,
                       evidence_refs=refs,
                       steps=steps, citations=[d.citation for d in cited], dropped=dropped)


# --- the call ------------------------------------------------------------------------------------

class ExplainResult(BaseModel):
    status: Literal["explained", "unavailable", "rejected"]
    explanation: Explanation | None = None
    reason: str = ""
    model: str = ""
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    duration_s: float = 0.0
    generation_s: float = Field(0.0, description="time inside the server's answers")
    cached: bool = False
    trimmed: list[str] = Field(default_factory=list)


def _evidence_part(item: Evidence) -> Part:
    text = item.text if item.available else f"(source unavailable: {item.error})"
    return Part(group="evidence", key=item.id, text=shorten(text, MAX_EVIDENCE_CHARS), label="evidence item")


def _document_part(doc: Document) -> Part:
    return Part(group="document", key=doc.id, text=shorten(doc.text or "(excerpt not available)", MAX_DOC_CHARS),
                label="runbook excerpt")


def build_messages(inp: ExplainInput, ctx: Context) -> list[Message]:
    titles = {e.id: e.title for e in inp.evidence}
    docs = {d.id: d.citation for d in inp.documents}
    findings = "\n".join(
        f"- {f.code} ({f.severity.value}): {f.title}" + (f" — {f.explanation}" if f.explanation else "")
        + (f" [evidence: {', '.join(f.evidence_refs)}]" if f.evidence_refs else "")
        for f in inp.findings[:MAX_FINDINGS]) or "(none)"
    evidence = "\n".join(data_block(p.text, id=p.key, title=titles.get(p.key, "")) for p in ctx.evidence) or "(none)"
    documents = "\n".join(
        data_block(p.text, id=p.key, title=docs[p.key].title, section=docs[p.key].section) for p in ctx.documents
    ) or "(none)"
    prompt = render(inp.kind, system=inp.system, alert=data_block(inp.header, id="request"), findings=findings,
                    evidence=evidence, documents=documents)
    return prompt.messages()


def explain(inp: ExplainInput, client: LLMClient, *, budget_tokens: int, task: str) -> ExplainResult:
    """One call (plus at most one repair) and validation; never raises for LLM trouble."""
    started = time.monotonic()
    full = Context(evidence=[_evidence_part(e) for e in inp.evidence],
                   documents=[_document_part(d) for d in inp.documents])
    ctx, trimmed = fit(full, lambda c: "\n".join(m.content for m in build_messages(inp, c)), budget_tokens)
    kept_docs = {p.key for p in ctx.documents}
    # Only what the model was shown may be cited or relied on.
    shown = inp.model_copy(update={"evidence": [e for e in inp.evidence if e.id in {p.key for p in ctx.evidence}],
                                   "documents": [d for d in inp.documents if d.id in kept_docs]})
    result = ExplainResult(status="rejected", trimmed=trimmed)
    schema = answer_schema([e.id for e in shown.evidence], [d.id for d in shown.documents])
    messages = build_messages(inp, ctx)
    call = structured_call(client, messages, Answer, task=task, schema=schema, schema_name=f"{inp.kind}_explanation")
    result = result.model_copy(update=call.model_dump(exclude={"answer", "error", "unavailable"}))
    if call.answer is not None:
        result.explanation = validate(call.answer, shown)
        result.status = "explained"
    else:
        result.status = "unavailable" if call.unavailable else "rejected"
        result.reason = call.error
    result.duration_s = time.monotonic() - started
    return result


# --- onto the card -------------------------------------------------------------------------------

class GateDecision(Protocol):
    """Whether the model's answers may be shown (handlers.llm.gate), and the footer line when not."""

    @property
    def show(self) -> bool: ...

    @property
    def line(self) -> str: ...


class ShowAll(BaseModel):
    """For callers with no gate (tests, `llm.gate: off`)."""

    show: bool = True
    line: str = ""


class Placement(BaseModel):
    """What the LLM pass puts on a card: a hypothesis (or none), the steps it adds, footer lines."""

    hypothesis: Hypothesis | None = None
    steps: list[Step] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


def cost_note(result: ExplainResult) -> str:
    """`LLM smollm2: 1 call, 922 + 118 tokens, 4.2 s; trimmed: 2 runbook excerpts dropped`."""
    name = f"{LLM_NOTE} {result.model}" if result.model else LLM_NOTE
    if result.cached:
        text = f"{name}: cached answer"
    elif result.calls:
        text = (f"{name}: {result.calls} call{'s' if result.calls > 1 else ''}, {result.prompt_tokens:,} + "
                f"{result.completion_tokens:,} tokens, {result.duration_s:.1f} s")
    else:
        text = f"{name}: no call made"
    return text + (f"; trimmed: {', '.join(result.trimmed)}" if result.trimmed else "")


def placement(result: ExplainResult, gate: GateDecision) -> Placement:
    """The hypothesis only when the answer is valid, cites something the card shows, and the model
    passed its gate; otherwise one footer line says why the LLM says nothing. Never a finding, never
    a severity, never a deterministic step removed."""
    notes = [cost_note(result)] if result.calls or result.cached else []
    exp = result.explanation
    if result.status != "explained" or exp is None:
        return Placement(notes=[*notes, failure_note(result.status == "unavailable", result.reason)])
    if not exp.evidence_refs and not exp.citations:
        return Placement(notes=[*notes, "LLM answer not shown: it cited no evidence or runbook on this card"])
    if not gate.show:
        return Placement(notes=[*notes, gate.line])
    notes += [f"LLM answer: dropped {d}" for d in exp.dropped]
    return Placement(hypothesis=Hypothesis(cause=exp.cause, confidence=exp.confidence,
                                           evidence_refs=exp.evidence_refs, citations=exp.citations,
                                           model=result.model),
                     steps=exp.steps, notes=notes)


def has_llm_result(notes: list[str], hypothesis: Hypothesis | None) -> bool:
    """Whether an LLM pass already ran for this card (a redelivered task must not call again)."""
    return hypothesis is not None or any(n.startswith(LLM_NOTE) for n in notes)


def triage_enrichment(enrichment: Enrichment, result: ExplainResult, gate: GateDecision) -> Enrichment:
    """The incident's enrichment with the LLM pass folded in: the hypothesis apart, its validated steps
    after the deterministic ones, its cost and any reason for silence in the footer."""
    placed = placement(result, gate)
    updated = enrichment.model_copy(deep=True)
    updated.hypothesis = placed.hypothesis
    updated.steps += [s for s in placed.steps if s not in updated.steps]
    updated.notes += placed.notes
    return updated


def explained_card(card: Card, result: ExplainResult, gate: GateDecision) -> Card:
    """A finished diagnosis card with the LLM pass added (its findings and steps untouched)."""
    placed = placement(result, gate)
    return card.model_copy(update={
        "hypothesis": placed.hypothesis,
        "steps": card.steps + [s for s in placed.steps if s not in card.steps],
        "footer": " · ".join([card.footer, *placed.notes]),
    })
