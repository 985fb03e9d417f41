"""What the Ceph and Redis diagnosis handlers share: pasted-text clean-up, knowledge lookups,
and the cards for "cannot reach it" and "how to use the command"."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from core.cards import Card, CardKind, CardStatus
from core.events import AlertGroup
from core.models import Citation, Finding, Fix, Severity, Step, Unavailable
from handlers.shared.commands import check_fix
from handlers.triage import severity_of
from knowledge.service import KnowledgeNeeds

log = logging.getLogger(__name__)
KNOWLEDGE_K = 3


def strip_fences(text: str) -> str:
    """Pasted output often comes wrapped in Markdown code fences; drop them."""
    return re.sub(r"^```\w*\s*$", "", text.strip(), flags=re.MULTILINE).strip()


def unique_steps(steps: Iterable[Step]) -> list[Step]:
    """Each command once, with the why of the first finding that names it (the primary's comes first)."""
    seen: dict[str, Step] = {}
    for step in steps:
        seen.setdefault(step.command, step)
    return list(seen.values())


def unique_fixes(fixes: Iterable[Fix]) -> list[Fix]:
    """Each documented change once (the first finding that names it keeps it), and only one the fix
    parser passes with its caution: a destructive change never reaches a card without one."""
    seen: list[Fix] = []
    for fix in fixes:
        if any(f.command == fix.command for f in seen):
            continue
        reason = check_fix(fix.command, fix.caution)
        if reason is not None:
            log.warning("fix %r left off the card: %s", fix.command, reason)
            continue
        seen.append(fix)
    return seen


def checked(finding: Finding) -> Finding:
    """The finding with only the fixes the parser passes: ids come from untrusted output (a pool named
    `x;rm -rf`), so every filled-in fix is checked again before any card or triage card shows it."""
    return finding.model_copy(update={"fixes": unique_fixes(finding.fixes)})


def card_json(document: dict[str, Any], items: str, card: Card) -> dict[str, Any]:
    """The analyzer's `--json` document (its `items`: checks or findings, each with fixes) with only the
    fixes the parser passes, plus what the card shows beyond it: the title, the summary, the steps and
    the fixes (with caution, last resort and doc)."""
    for item in document[items]:
        item["fixes"] = [f for f in item["fixes"] if check_fix(f["command"], f["caution"]) is None]
    return {**document, "title": card.title, "severity": card.severity.value, "summary": card.summary,
            "steps": [s.model_dump() for s in card.steps], "fixes": [f.model_dump(mode="json") for f in card.fixes],
            "cautions": [f.caution for f in card.fixes if f.caution]}


def related_knowledge(query: str, settings: KnowledgeNeeds, k: int = KNOWLEDGE_K) -> list[Citation]:
    """Runbooks and docs for a diagnosis, when a knowledge index exists; never fails the card."""
    if not settings.knowledge.enabled:
        return []
    from knowledge.service import get_retriever, index_exists

    if not index_exists(settings):
        return []
    try:
        results = get_retriever(settings).search(query, k)
    except Exception as exc:  # the diagnosis stands without citations
        log.warning("knowledge retrieval for %r failed: %s: %s", query[:60], type(exc).__name__, exc)
        return []
    return [Citation(source=r.source, title=r.title, section=r.section, score=r.score, url=r.url) for r in results]


def unavailable_card(system: str, target: str, reason: str) -> Card:
    return Card(kind=CardKind.diagnosis, status=CardStatus.degraded, title=f"{system} {target}: not reachable",
                severity=Severity.error, summary=reason,
                unavailable=[Unavailable(source=f"{system.lower()}:{target}", reason=reason)],
                footer=f"{system.lower()} diagnosis")


def usage_card(command: str, usage: str, message: str = "") -> Card:
    return Card(kind=CardKind.help, status=CardStatus.done, title=command, summary=message, text=usage)


def unreachable_finding(code: str, subject: str, reason: str, evidence_id: str, group: AlertGroup,
                        steps: list[Step]) -> Finding:
    """The system an alert is about does not answer: that is the first thing the on-call engineer must
    know, so it is a finding with steps (at least `error`, or the alert's own severity), not only an
    "unavailable" line."""
    severity = max(Severity.error, severity_of(group), key=lambda s: s.rank)
    return Finding(code=code, severity=severity, title=f"{subject} does not answer opsbot",
                   explanation=f"{reason}. The system this alert is about refused or timed out a read-only "
                               "connection: check that it runs and is reachable before anything else.",
                   evidence_refs=[evidence_id], steps=steps)
