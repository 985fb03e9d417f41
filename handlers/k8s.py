"""Kubernetes diagnosis from pasted kubectl output, for chat (`/k8s`, `/oncall k8s`, a mention) and the CLI.

The paste becomes the live collector's snapshot (`integrations.kubernetes.paste`) and goes through the
same analyzers as alert triage (`analyze_kubernetes`), so a KubePodCrashLooping card and `/k8s` with
the same objects' output say the same. The card leads with the primary problem, quotes the pasted
lines of every finding, lists read-only steps and fixes (changes a human runs), the runbooks that
match, and every part of the paste it could not read.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from core.cards import Card, CardField, CardKind, CardStatus, Link
from core.events import Command
from core.models import Citation, DocRef, Finding, Fix, Severity, Step
from handlers.enrichers.knowledge import KnowledgeLinkNeeds
from handlers.shared import diagnosis as diagnosis_common
from handlers.shared.commands import check_fix, is_read_only
from handlers.shared.diagnosis import unique_steps
from integrations.kubernetes.analyzer import analyze_kubernetes
from integrations.kubernetes.paste import PastedOutput, parse_paste
from integrations.kubernetes.paste.assemble import UNNAMED_POD
from integrations.kubernetes.paste.quotes import quotes
from integrations.kubernetes.primary import ordered
from integrations.kubernetes.steps import runbook
from knowledge.links import document_link
from knowledge.service import BUNDLED_ROOT, bundled_runbooks_dir

USAGE = ("`/k8s` followed by pasted kubectl output: `describe pod|deployment|job|node|pvc|hpa`, "
         "`get ... -o yaml|json`, `get pods` / `get events` (default or `-o wide`), `logs [--previous]`, "
         "`top pod|node`, in any mix. "
         "Include the `kubectl ...` lines when you can: they tell which pod the logs are from.")
MAX_CARD_FINDINGS = 10
MAX_UNREAD = 5


@dataclass
class K8sDiagnosis:
    pasted: PastedOutput
    findings: list[Finding]  # primary first
    quotes: dict[int, list[str]]  # index in findings -> the pasted lines it rests on
    took_ms: float

    @property
    def primary(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    def as_json(self) -> dict[str, Any]:
        """Everything the card shows: primary, findings with quotes, steps and fixes, what was not read."""
        return {
            "primary": self.primary.code if self.primary else None,
            "summary": summary(self),
            "findings": [f.model_dump(mode="json") | {"quotes": self.quotes.get(i, [])}
                         for i, f in enumerate(self.findings)],
            "steps": [s.model_dump() for s in card_steps(self.findings)],
            "fixes": [f.model_dump(mode="json") for f in card_fixes(self.findings)],
            "read": [_part_line(p) for p in self.pasted.recognised],
            "not_read": [_part_line(p) for p in self.pasted.unknown],
            "trimmed": self.pasted.trimmed,
            "took_ms": round(self.took_ms, 1),
        }


def diagnose_paste(text: str, settings: KnowledgeLinkNeeds | None = None) -> K8sDiagnosis:
    """`settings` (when given) link the runbook sections the findings name where the web serves them."""
    started = time.perf_counter()
    pasted = parse_paste(text)
    # what was pasted is what is happening now: a rollout shortly before it is a recent one
    findings = with_runbooks(ordered(analyze_kubernetes(pasted.snapshot, alert_start=pasted.now)), settings)
    found = {i: quotes(f, pasted.parts) for i, f in enumerate(findings)}
    return K8sDiagnosis(pasted=pasted, findings=findings, quotes=found,
                        took_ms=(time.perf_counter() - started) * 1000)


def card_steps(findings: Sequence[Finding]) -> list[Step]:
    """Read-only steps only: every command passes the per-CLI parser (a defence, the analyzers make them so)."""
    return [s for s in unique_steps(s for f in findings for s in f.steps) if is_read_only(s.command)]


def card_fixes(findings: Sequence[Finding]) -> list[Fix]:
    fixes: list[Fix] = []
    for fix in (x for f in findings for x in f.fixes):
        if fix not in fixes and check_fix(fix.command, fix.caution) is None:
            fixes.append(fix)
    return fixes


def summary(diagnosis: K8sDiagnosis) -> str:
    primary = diagnosis.primary
    if primary is None:
        return "Nothing in the paste was recognised as kubectl output." if not diagnosis.pasted.recognised else \
            "None of the analyzers found a failure, and not every object looks settled either (see below)."
    return f"{primary.title}. {primary.explanation}"


def _part_line(part: Any) -> str:
    what = ", ".join(part.objects[:4]) + (f" +{len(part.objects) - 4}" if len(part.objects) > 4 else "")
    head = f"{part.kind} ({part.label})" + (f": {what}" if what else "")
    if part.note:
        return f"{part.label}: {part.note}: «{part.first_line()[:80]}»"
    return head


def diagnosis_card(diagnosis: K8sDiagnosis, *, citations: Sequence[Citation] = (),
                   explanation: str | None = None) -> Card:
    pasted = diagnosis.pasted
    shown = diagnosis.findings[:MAX_CARD_FINDINGS]
    text: list[str] = [explanation] if explanation else []
    for i, finding in enumerate(shown):
        text.append(f"{finding.code}: {finding.title}")
        text += [f"    > {line}" for line in diagnosis.quotes.get(i, [])]
    if len(diagnosis.findings) > MAX_CARD_FINDINGS:
        text.append(f"… and {len(diagnosis.findings) - MAX_CARD_FINDINGS} more findings")
    if pasted.trimmed:
        text.append(pasted.trimmed)
    text.append("Read: " + ("; ".join(_part_line(p) for p in pasted.recognised) or "nothing"))
    unread = pasted.unknown
    if unread:
        text.append("Not read (listed, not guessed at):")
        text += [f"    {_part_line(p)}" for p in unread[:MAX_UNREAD]]
        if len(unread) > MAX_UNREAD:
            text.append(f"    … and {len(unread) - MAX_UNREAD} more parts")
    if any(p.name == UNNAMED_POD for p in pasted.snapshot.pods):
        text.append(f"{UNNAMED_POD}: the paste does not say which pod (no `kubectl logs POD` or `describe pod` line "
                    "above it); put the pod's name in the commands.")
    if pasted.loose_events:
        text.append(f"Events about objects no analyzer reads: {len(pasted.loose_events)} "
                    f"(first: {pasted.loose_events[0][:120]})")
    primary = diagnosis.primary
    links: list[Link] = []
    for doc in (d for f in shown for d in f.docs if d.url):
        link = Link(title=doc.title, url=doc.url or "")
        if link not in links:
            links.append(link)
    objects = len(pasted.snapshot.pods) + len(pasted.snapshot.nodes) + len(pasted.snapshot.workloads) + len(
        pasted.snapshot.claims) + len(pasted.snapshot.autoscalers)
    return Card(
        kind=CardKind.diagnosis,
        status=CardStatus.done,
        title="Kubernetes (pasted output): " + (primary.title if primary else "nothing diagnosed"),
        severity=primary.severity if primary else Severity.info,
        summary=summary(diagnosis),
        text="\n".join(text),
        fields=[CardField(name="primary", value=primary.code if primary else "none"),
                CardField(name="objects", value=str(objects)),
                CardField(name="findings", value=", ".join(f.code for f in diagnosis.findings) or "none", short=False)],
        findings=shown,
        steps=card_steps(shown),
        fixes=card_fixes(shown),
        citations=list(citations),
        links=links[:6],
        footer=f"k8s diagnosis · pasted output · {len(pasted.parts)} parts · {diagnosis.took_ms:.0f} ms",
    )


def usage_card(message: str = "") -> Card:
    return diagnosis_common.usage_card("/k8s", USAGE, message)


def related_knowledge(diagnosis: K8sDiagnosis, settings: KnowledgeLinkNeeds) -> list[Citation]:
    """Runbooks about the top findings (the bundled library has a section per code)."""
    active = [f for f in diagnosis.findings if f.code != "NoActiveFailure"][:3]
    if not active:
        return []
    return diagnosis_common.related_knowledge("Kubernetes " + "; ".join(f"{f.code} {f.title}" for f in active),
                                              settings)


_CODE_HEADING = re.compile(r"^## (?P<code>[A-Z]\w+): .+$", re.MULTILINE)
_TITLE = re.compile(r"^title: (?P<title>.+)$", re.MULTILINE)


@lru_cache(maxsize=1)
def runbook_sections() -> dict[str, tuple[str, str, str]]:
    """Finding code -> (file, runbook title, heading) of its section in the bundled library (`## CODE: ...`)."""
    sections: dict[str, tuple[str, str, str]] = {}
    for path in sorted(bundled_runbooks_dir().glob("*.md")):
        text = path.read_text(encoding="utf-8")
        title = m.group("title").strip() if (m := _TITLE.search(text)) else path.stem
        for heading in _CODE_HEADING.finditer(text):
            sections.setdefault(heading.group("code"), (path.name, title, heading.group(0)[3:]))
    return sections


def with_runbooks(findings: list[Finding], settings: KnowledgeLinkNeeds | None) -> list[Finding]:
    """The analyzers' "opsbot runbook: CODE" references, as the bundled section (linked where it is served)."""
    resolved = []
    for finding in findings:
        docs = []
        for doc in finding.docs:
            place = runbook_sections().get(finding.code) if doc == runbook(finding.code) else None
            if place is None:
                docs.append(doc)
                continue
            source, title, heading = place
            url = document_link(settings.web.public_url, settings.knowledge, BUNDLED_ROOT, source, heading) \
                if settings is not None else None
            docs.append(DocRef(title=f"{title} › {heading}", url=url))
        resolved.append(finding.model_copy(update={"docs": docs}))
    return resolved


def handle_command(cmd: Command, settings: KnowledgeLinkNeeds) -> Card:
    text = diagnosis_common.strip_fences(cmd.text)
    if not text.strip():
        return usage_card()
    diagnosis = diagnose_paste(text, settings)
    if not diagnosis.pasted.recognised:
        return usage_card("Nothing in that was recognised as kubectl output.")
    return diagnosis_card(diagnosis, citations=related_knowledge(diagnosis, settings))

