"""Health checks -> explained, ranked diagnosis: meaning, severity, commands with real ids, cautions.

Pure functions over a `CephSnapshot`; the same for live and pasted input.
"""

from __future__ import annotations

import re
import string
from typing import Any

from pydantic import BaseModel, Field

from core.models import DocRef, Finding, Fix, Severity, Step
from integrations.ceph.catalogue import CATALOGUE, CheckInfo, lookup, unknown
from integrations.ceph.config import DEFAULT_DOCS_URL
from integrations.ceph.models import STATUS_RANK, CephSnapshot, CephStatus, HealthCheck
from integrations.ceph.primary import RULES, choose_primary

MAX_PLACEHOLDER_VALUES = 2  # commands for the first two OSDs/PGs named, not for all of them
MAX_FIX_VALUES = 4  # a fix for each of the first four flags/PGs/OSDs named
_CEPH_SEVERITY = {"HEALTH_ERR": Severity.error, "HEALTH_WARN": Severity.warning, "HEALTH_OK": Severity.info}
_ORDER = {info.code: n for n, info in enumerate(CATALOGUE)}
# placeholder -> patterns that find its values in summary and detail lines
_EXTRACT: dict[str, list[re.Pattern[str]]] = {
    "osd": [re.compile(r"\bosd\.(\d+)\b")],
    "host": [re.compile(r"\bhost=([\w.-]+)"), re.compile(r"^host ([\w.-]+)")],
    "pg": [re.compile(r"\bpg (\d+\.[0-9a-f]+)\b")],
    "pg_inconsistent": [re.compile(r"\bpg (\d+\.[0-9a-f]+) is [\w+]*\binconsistent\b")],  # what repair fixes
    "pool": [re.compile(r"\bpool '([^']+)'"), re.compile(r"^Pool (\S+) has \d+ placement groups")],
    "pg_target": [re.compile(r"placement groups, should have (\d+)")],  # POOL_TOO_FEW/MANY_PGS
    "mon": [re.compile(r"\bmon\.([\w-]+)")],
    "module": [re.compile(r"\bModule '([^']+)'")],
    "daemon": [re.compile(r"\b((?:osd|mon|mds|mgr)\.[\w-]+)")],
    "crash": [re.compile(r"\b(\d{4}-\d\d-\d\dT[\d:.]+Z_[0-9a-f-]{36})\b")],
    "flag": [re.compile(r"^([a-z_,-]+) flag\(s\) set")],  # OSDMAP_FLAGS: "noout,nodeep-scrub flag(s) set"
    "who": [re.compile(r"^(?:crush node |host |device class ')?([\w.-]+)'? has flags ")],  # OSD_FLAGS
    "group_flags": [re.compile(r" has flags ([a-z_,-]+)")],
    "pg_num": [re.compile(r"\bpg_num (\d+)")],
    "entity": [re.compile(r"^([a-z]+\.[\w.-]+) has (?:invalid|bad|unparseable) ")],
}
_SPLIT = {"flag"}  # values that list several ("noout,noscrub"): one fix each
_FLAG_NAMES = {"pauserd": "pause", "pausewr": "pause"}  # `ceph osd set pause` sets both; `unset pause` clears both


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
    fixes: list[Fix] = Field(default_factory=list)
    placeholders: dict[str, list[str]] = Field(default_factory=dict)

    @property
    def doc(self) -> DocRef:
        return DocRef(title=f"Ceph health checks: {self.section.heading}", url=self.section.url)

    def to_finding(self, evidence_ref: str) -> Finding:
        causes = f" Typical causes: {'; '.join(self.causes)}." if self.causes else ""
        cautions = "".join(f"\nCaution: {c}" for c in self.cautions)
        return Finding(code=self.code, severity=Severity.info if self.muted else self.severity,
                       title=f"{self.code}{' (muted)' if self.muted else ''}: {self.summary}",
                       explanation=self.explanation + causes + cautions, evidence_refs=[evidence_ref],
                       steps=self.commands, fixes=self.fixes, docs=[self.doc])


class CephDiagnosis(BaseModel):
    status: CephStatus
    primary: str | None
    headline: str
    checks: list[CheckDiagnosis]
    facts: dict[str, str] = Field(default_factory=dict)
    primary_reason: str = ""  # the primary rule that chose it, when one did
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
        """The CLI's JSON: everything the text card shows (headline, facts, each check's commands, fixes
        and cautions)."""
        return {"status": self.status, "primary": self.primary, "summary": self.headline,
                "primary_reason": self.primary_reason, "facts": self.facts, "checks": [
            {"code": c.code, "severity": c.ceph_severity, "muted": c.muted, "summary": c.summary, "detail": c.detail,
             "explanation": c.explanation, "causes": c.causes, "section": c.section.model_dump(),
             "commands": [s.command for s in c.commands],
             "steps": [s.model_dump() for s in c.commands],
             "fixes": [f.model_dump(mode="json") for f in c.fixes], "cautions": c.cautions} for c in self.checks]}


def extract_placeholders(lines: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, patterns in _EXTRACT.items():
        values: list[str] = []
        for line in lines:
            for pattern in patterns:
                for value in pattern.findall(line):
                    for part in value.split(",") if name in _SPLIT else [value]:
                        part = _FLAG_NAMES.get(part, part) if name == "flag" else part
                        if part and part not in values:
                            values.append(part)
        if values:
            found[name] = values
    if "pg_num" in found:  # POOL_PG_NUM_NOT_POWER_OF_TWO: the nearest power of two
        found["pg_num_pow2"] = [str(_nearest_power_of_two(int(v))) for v in found["pg_num"]]
    return found


def _nearest_power_of_two(value: int) -> int:
    lower = 1 << max(0, value.bit_length() - 1)
    return lower if value - lower < lower * 2 - value else lower * 2


def _fill(template: str, values: dict[str, list[str]], limit: int) -> list[str]:
    """The template once per known value (up to `limit`); none when a placeholder is unknown."""
    fields = [f for _, f, _, _ in string.Formatter().parse(template) if f]
    if not fields:
        return [template]
    if any(f not in values for f in fields):
        return []
    count = min(limit, max(len(values[f]) for f in fields))
    filled = [template.format(**{f: values[f][min(n, len(values[f]) - 1)] for f in fields}) for n in range(count)]
    return list(dict.fromkeys(filled))


def fill_commands(info: CheckInfo, values: dict[str, list[str]]) -> list[Step]:
    """Each template once per known value (up to two); templates whose placeholder is unknown are left out."""
    steps: list[Step] = []
    for hint in info.commands:
        for command in _fill(hint.command, values, MAX_PLACEHOLDER_VALUES):
            step = Step(command=command, why=hint.why)
            if step not in steps:
                steps.append(step)
    return steps


# An erasure-coded PG's acting set shows a missing shard as NONE (or its number, 2147483647).
_ERASURE_PG = re.compile(r"\bpg (\d+\.[0-9a-f]+) is .*\bacting \[[^\]]*\b(?:NONE|2147483647)\b")


def erasure_coded_pgs(checks: list[HealthCheck]) -> frozenset[str]:
    return frozenset(m.group(1) for c in checks for line in c.detail if (m := _ERASURE_PG.search(line)))


def fill_fixes(info: CheckInfo, values: dict[str, list[str]], doc: DocRef, text: str = "",
               erasure_pgs: frozenset[str] = frozenset()) -> list[Fix]:
    """The documented changes with the case's ids (flags, PGs, OSDs, pools), each with its caution; one
    whose `when` the check's text does not match is left out, and so is a replicated-only change
    (mark_unfound_lost revert) for an erasure-coded PG."""
    fixes: list[Fix] = []
    for hint in info.fixes:
        if hint.when and not re.search(hint.when, text, re.IGNORECASE):
            continue
        for n, command in enumerate(_fill(hint.command, values, MAX_FIX_VALUES)):
            pgs = values.get("pg", [])
            if hint.replicated_only and pgs and pgs[min(n, len(pgs) - 1)] in erasure_pgs:
                continue
            fixes.append(Fix(command=command, why=hint.why, caution=hint.caution, last_resort=hint.last_resort,
                             doc=doc))
    return fixes


def severity_of(check: HealthCheck, info: CheckInfo) -> Severity:
    severity = _CEPH_SEVERITY.get(check.severity, Severity.warning)
    if info.floor is not None and severity.rank < info.floor.rank:
        severity = info.floor
    if info.cap is not None and severity.rank > info.cap.rank:
        severity = info.cap
    return severity


def diagnose_check(check: HealthCheck, *, docs_url: str, max_detail: int,
                   erasure_pgs: frozenset[str] = frozenset()) -> CheckDiagnosis:
    info = lookup(check.code) or unknown(check.code)
    values = extract_placeholders([check.summary, *check.detail])
    detail = check.detail[:max_detail]
    if len(check.detail) > max_detail:
        detail.append(f"… and {len(check.detail) - max_detail} more")
    section = DocSection(heading=info.doc_heading, url=info.doc_url(docs_url))
    doc = DocRef(title=f"Ceph health checks: {section.heading}", url=section.url)
    return CheckDiagnosis(
        code=check.code, severity=severity_of(check, info), ceph_severity=check.severity, muted=check.muted,
        summary=check.summary, detail=detail, detail_total=len(check.detail), explanation=info.meaning,
        causes=info.causes, section=section, commands=fill_commands(info, values), cautions=info.cautions,
        fixes=fill_fixes(info, values, doc, "\n".join([check.summary, *check.detail]), erasure_pgs),
        placeholders=values,
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
    erasure_pgs = erasure_coded_pgs(snapshot.health.checks)
    checks = [diagnose_check(c, docs_url=docs_url, max_detail=max_detail, erasure_pgs=erasure_pgs)
              for c in snapshot.health.checks]
    active = [c for c in checks if not c.muted]
    present = {(lookup(c.code) or unknown(c.code)).code for c in active}
    active.sort(key=lambda c: _rank(c, present))
    reason = ""
    if active:
        chosen, reason = choose_primary([((lookup(c.code) or unknown(c.code)).code, "\n".join([c.summary, *c.detail]))
                                         for c in active], RULES)
        active.insert(0, active.pop(chosen))
    ordered = active + [c for c in checks if c.muted]
    status: CephStatus = max((c.ceph_severity for c in active), key=STATUS_RANK.__getitem__, default="HEALTH_OK")
    primary = active[0] if active else None
    facts = snapshot.context.facts() if snapshot.context else {}
    return CephDiagnosis(status=status, primary=primary.code if primary else None,
                         headline=_headline(primary, len(active), len(checks) - len(active)), checks=ordered,
                         facts=facts, primary_reason=reason, source=snapshot.source, cluster=snapshot.cluster,
                         transport=snapshot.transport)


def _headline(primary: CheckDiagnosis | None, active: int, muted: int) -> str:
    muted_note = f" ({muted} muted check{'s' if muted != 1 else ''} not counted)" if muted else ""
    if primary is None:
        return "No active health checks: the cluster reports HEALTH_OK." + muted_note
    others = f"; {active - 1} other check{'s' if active != 2 else ''} raised" if active > 1 else ""
    return f"{primary.code}: {primary.summary or primary.explanation}{others}.{muted_note}"
