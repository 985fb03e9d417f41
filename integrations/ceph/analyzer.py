"""Health checks -> explained, ranked diagnosis: meaning, severity, commands with real ids, cautions.

Pure functions over a `CephSnapshot`; the same for live and pasted input.
"""

from __future__ import annotations

import re
import string
from typing import Any

from pydantic import BaseModel, Field

from core.models import DocRef, Finding, Severity, Step
from integrations.ceph.catalogue import CATALOGUE, CheckInfo, lookup, unknown
from integrations.ceph.config import DEFAULT_DOCS_URL
from integrations.ceph.models import STATUS_RANK, CephSnapshot, CephStatus, HealthCheck

MAX_PLACEHOLDER_VALUES = 2  # commands for the first two OSDs/PGs named, not for all of them
_CEPH_SEVERITY = {"HEALTH_ERR": Severity.error, "HEALTH_WARN": Severity.warning, "HEALTH_OK": Severity.info}
_ORDER = {info.code: n for n, info in enumerate(CATALOGUE)}
# placeholder -> patterns that find its values in summary and detail lines
_EXTRACT: dict[str, list[re.Pattern[str]]] = {
    "osd": [re.compile(r"\bosd\.(\d+)\b")],
    "host": [re.compile(r"\bhost=([\w.-]+)"), re.compile(r"^host ([\w.-]+)")],
    "pg": [re.compile(r"\bpg (\d+\.[0-9a-f]+)\b")],
    "pool": [re.compile(r"\bpool '([^']+)'")],
    "mon": [re.compile(r"\bmon\.([\w-]+)")],
    "module": [re.compile(r"\bModule '([^']+)'")],
    "daemon": [re.compile(r"\b((?:osd|mon|mds|mgr)\.[\w-]+)")],
    "crash": [re.compile(r"\b(\d{4}-\d\d-\d\dT[\d:.]+Z_[0-9a-f-]{36})\b")],
}


class DocSection(BaseModel):
    heading: str
    url: str


class CheckDiagnosis(BaseModel):
    code: str
    severity: Severity
    ceph_severity: CephStatus
    muted: bool
    summary: str
    detail: list[str]
    detail_total: int
    explanation: str
    causes: list[str]
    section: DocSection
    commands: list[Step]
    cautions: list[str]
    placeholders: dict[str, list[str]] = Field(default_factory=dict)

    def to_finding(self, evidence_ref: str) -> Finding:
        causes = f" Typical causes: {'; '.join(self.causes)}." if self.causes else ""
        cautions = "".join(f"\nCaution: {c}" for c in self.cautions)
        return Finding(code=self.code, severity=Severity.info if self.muted else self.severity,
                       title=f"{self.code}{' (muted)' if self.muted else ''}: {self.summary}",
                       explanation=self.explanation + causes + cautions, evidence_refs=[evidence_ref],
                       steps=self.commands,
                       docs=[DocRef(title=f"Ceph health checks: {self.section.heading}", url=self.section.url)])


class CephDiagnosis(BaseModel):
    status: CephStatus
    primary: str | None
    headline: str
    checks: list[CheckDiagnosis]
    facts: dict[str, str] = Field(default_factory=dict)
    source: str = "pasted"
    cluster: str | None = None
    transport: str | None = None

    @property
    def primary_check(self) -> CheckDiagnosis | None:
        return next((c for c in self.checks if c.code == self.primary), None)

    @property
    def severity(self) -> Severity:
        return _CEPH_SEVERITY[self.status] if self.primary is None else max(
            (c.severity for c in self.checks if not c.muted), key=lambda s: s.rank, default=Severity.info)

    def as_json(self) -> dict[str, Any]:
        """The CLI's JSON shape (field names fixed by the issue)."""
        return {"status": self.status, "primary": self.primary, "checks": [
            {"code": c.code, "severity": c.ceph_severity, "muted": c.muted, "summary": c.summary, "detail": c.detail,
             "explanation": c.explanation, "section": c.section.model_dump(),
             "commands": [s.command for s in c.commands], "cautions": c.cautions} for c in self.checks]}


def extract_placeholders(lines: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, patterns in _EXTRACT.items():
        values: list[str] = []
        for line in lines:
            for pattern in patterns:
                for value in pattern.findall(line):
                    if value not in values:
                        values.append(value)
        if values:
            found[name] = values
    return found


def fill_commands(info: CheckInfo, values: dict[str, list[str]]) -> list[Step]:
    """Each template once per known value (up to two); templates whose placeholder is unknown are left out."""
    steps: list[Step] = []
    for hint in info.commands:
        template, why = hint.command, hint.why
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f]
        if not fields:
            steps.append(Step(command=template, why=why))
            continue
        if any(f not in values for f in fields):
            continue
        for n in range(min(MAX_PLACEHOLDER_VALUES, max(len(values[f]) for f in fields))):
            command = template.format(**{f: values[f][min(n, len(values[f]) - 1)] for f in fields})
            step = Step(command=command, why=why)
            if step not in steps:
                steps.append(step)
    return steps


def severity_of(check: HealthCheck, info: CheckInfo) -> Severity:
    severity = _CEPH_SEVERITY.get(check.severity, Severity.warning)
    if info.floor is not None and severity.rank < info.floor.rank:
        severity = info.floor
    if info.cap is not None and severity.rank > info.cap.rank:
        severity = info.cap
    return severity


def diagnose_check(check: HealthCheck, *, docs_url: str, max_detail: int) -> CheckDiagnosis:
    info = lookup(check.code) or unknown(check.code)
    values = extract_placeholders([check.summary, *check.detail])
    detail = check.detail[:max_detail]
    if len(check.detail) > max_detail:
        detail.append(f"… and {len(check.detail) - max_detail} more")
    return CheckDiagnosis(
        code=check.code, severity=severity_of(check, info), ceph_severity=check.severity, muted=check.muted,
        summary=check.summary, detail=detail, detail_total=len(check.detail), explanation=info.meaning,
        causes=info.causes, section=DocSection(heading=info.doc_heading, url=info.doc_url(docs_url)),
        commands=fill_commands(info, values), cautions=info.cautions, placeholders=values,
    )


def _rank(check: CheckDiagnosis, present: set[str]) -> tuple[int, ...]:
    """Most severe first; among equals a cause before its effects, an incident before advice."""
    info = lookup(check.code) or unknown(check.code)
    follows = bool(set(info.follows_from) & present)
    causes_others = any(info.code in (lookup(code) or unknown(code)).follows_from for code in present)
    advisory = info.cap is not None
    ceph = STATUS_RANK.get(check.ceph_severity, 1)
    return (-check.severity.rank, -ceph, int(follows), int(advisory), int(not causes_others),
            _ORDER.get(info.code, len(_ORDER)))


def analyze(snapshot: CephSnapshot, *, docs_url: str = DEFAULT_DOCS_URL, max_detail: int = 10) -> CephDiagnosis:
    checks = [diagnose_check(c, docs_url=docs_url, max_detail=max_detail) for c in snapshot.health.checks]
    active = [c for c in checks if not c.muted]
    present = {(lookup(c.code) or unknown(c.code)).code for c in active}
    active.sort(key=lambda c: _rank(c, present))
    ordered = active + [c for c in checks if c.muted]
    status: CephStatus = max((c.ceph_severity for c in active), key=STATUS_RANK.__getitem__, default="HEALTH_OK")
    primary = active[0] if active else None
    facts = snapshot.context.facts() if snapshot.context else {}
    return CephDiagnosis(status=status, primary=primary.code if primary else None,
                         headline=_headline(primary, len(active), len(checks) - len(active)), checks=ordered,
                         facts=facts, source=snapshot.source, cluster=snapshot.cluster, transport=snapshot.transport)


def _headline(primary: CheckDiagnosis | None, active: int, muted: int) -> str:
    muted_note = f" ({muted} muted check{'s' if muted != 1 else ''} not counted)" if muted else ""
    if primary is None:
        return "No active health checks: the cluster reports HEALTH_OK." + muted_note
    others = f"; {active - 1} other check{'s' if active != 2 else ''} raised" if active > 1 else ""
    return f"{primary.code}: {primary.summary or primary.explanation}{others}.{muted_note}"
