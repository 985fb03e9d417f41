"""Review of pasted configuration (OpenTelemetry Collector, Data Prepper, Ansible, nginx): the
deterministic checks of integrations.config_files.checks first, then, with an LLM, one call to the heavy
model for what rules cannot judge. An LLM issue is kept only if its `where` quotes the pasted text
(it must point at something real); fixes are sentences, never commands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field

from core.cards import Card, CardField, CardKind, CardStatus
from core.events import Command
from core.models import Finding, Severity, Unavailable
from integrations.config_files.checks import KIND_NAMES, ConfigReport, check
from integrations.llm.budget import shorten
from integrations.llm.prompts import data_block, render
from integrations.llm.structured import clip, structured_call
from integrations.redaction import redact

if TYPE_CHECKING:
    from integrations.llm.client import LLMClient

USAGE = ("Paste an OpenTelemetry Collector or Data Prepper pipeline YAML, an Ansible playbook or an nginx "
         "configuration after `/oncall config` (or mention me with it) and I review it.")
TASK = "config"  # routed to the heavy model (llm.routes)
MAX_ISSUES = 6
MAX_CONFIG_CHARS = 8000
LLM_CODE = "CONFIG_REVIEW_LLM"
WHERE_CHARS = 80  # a quote of the configuration: the one bound in the schema (tens: grammar-cheap)
PROSE_CHARS = 600  # problem and fix: a sentence each (the prompt says so), cut after parsing


class ModelIssue(BaseModel):
    """One issue; too-long text is cut, not rejected (a cut `where` still quotes the configuration)."""

    severity: Literal["info", "warning", "error"]
    where: Annotated[str, BeforeValidator(clip(200, mark=""))]
    problem: Annotated[str, BeforeValidator(clip(PROSE_CHARS)), Field(min_length=3)]
    fix: Annotated[str, BeforeValidator(clip(PROSE_CHARS))] = ""


class ModelReview(BaseModel):
    issues: list[ModelIssue] = Field(default_factory=list)


def review_schema() -> dict[str, Any]:
    """Small bounds only (grammar engines expand each into rules); problem and fix are cut after parsing."""
    issue = {"type": "object", "properties": {
        "severity": {"type": "string", "enum": ["info", "warning", "error"]},
        "where": {"type": "string", "maxLength": WHERE_CHARS}, "problem": {"type": "string"},
        "fix": {"type": "string"}},
        "required": ["severity", "where", "problem", "fix"], "additionalProperties": False}
    return {"type": "object", "properties": {"issues": {"type": "array", "items": issue, "maxItems": MAX_ISSUES}},
            "required": ["issues"], "additionalProperties": False}


def llm_findings(text: str, report: ConfigReport, client: LLMClient) -> tuple[list[Finding], str]:
    """The model's issues that quote the configuration, and a note for the footer."""
    found = "\n".join(f"- {f.code}: {f.title}" for f in report.findings) or "(none)"
    prompt = render("config", what=KIND_NAMES[report.kind], findings=found,
                    config=data_block(shorten(redact(text), MAX_CONFIG_CHARS), id="config"))
    call = structured_call(client, prompt.messages(), ModelReview, task=TASK, schema=review_schema(),
                           schema_name="config_review")
    if call.answer is None:
        return [], call.failure
    grounded = [i for i in call.answer.issues[:MAX_ISSUES] if i.where.strip() and i.where.strip() in text]
    dropped = len(call.answer.issues) - len(grounded)
    findings = [Finding(code=LLM_CODE, severity=Severity(i.severity), title=f"{i.where.strip()}: {i.problem} (LLM)",
                        explanation=i.fix) for i in grounded]
    note = call.note + (f"; {dropped} issue(s) dropped: they quote nothing in the configuration" if dropped else "")
    return findings, note


def handle_command(cmd: Command, settings: object, llm: LLMClient | None = None) -> Card:
    text = cmd.text.strip().strip("`").strip()
    if not text:
        return Card(kind=CardKind.help, status=CardStatus.done, title="/oncall config", text=USAGE)
    report = check(text)
    findings = sorted(report.findings, key=lambda f: -f.severity.rank)
    note = ""
    if llm is not None and report.kind != "unknown":
        extra, note = llm_findings(text, report, llm)
        findings += extra
    worst = max((f.severity for f in findings), key=lambda s: s.rank, default=Severity.info)
    name = KIND_NAMES[report.kind]
    summary = (f"{len(findings)} problem(s) in this {name} configuration" if findings
               else f"No problems found in this {name} configuration by the checks" + ("" if llm else " (no LLM)"))
    unavailable = [Unavailable(source="llm", reason=note)] if note.startswith("LLM ") else []
    return Card(kind=CardKind.diagnosis, status=CardStatus.done, severity=worst, title=f"Config review: {name}",
                summary=summary, fields=[CardField(name="kind", value=name),
                                         CardField(name="lines", value=str(len(text.splitlines())))],
                findings=findings, steps=report.steps, unavailable=unavailable,
                footer=" · ".join(p for p in ("config review", "" if unavailable else note) if p))
