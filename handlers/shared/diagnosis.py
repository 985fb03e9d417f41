"""What the Ceph and Redis diagnosis handlers share: pasted-text clean-up, knowledge lookups,
and the cards for "cannot reach it" and "how to use the command"."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from core.cards import Card, CardKind, CardStatus
from core.events import AlertGroup
from core.models import Citation, Finding, Severity, Step, Unavailable
from handlers.triage import severity_of
from knowledge.service import KnowledgeNeeds

log = logging.getLogger(__name__)
KNOWLEDGE_K = 3


def strip_fences(text: str) -> str:
    """Pasted output often comes wrapped in Markdown code fences; drop them."""
    return re.sub(r"^```\w*\s*$", "", text.strip(), flags=re.MULTILINE).strip()


def unique_steps(steps: Iterable[Step]) -> list[Step]:
    seen: list[Step] = []
    for step in steps:
        if step not in seen:
            seen.append(step)
    return seen


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
