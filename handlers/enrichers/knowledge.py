"""Triage enricher: the runbooks that fit an alert, and post-mortems of similar incidents, as citations.

Documents that name the alert (front matter, file name, title, runbook_url) come first, then
hybrid results; post-mortems come as "seen before" citations. The model and store are loaded
once per process when the enricher is built, so `collect` costs one query embedding and two or
three Qdrant queries (milliseconds) and fits the triage time budget.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, urlsplit

from core.enrichment import Enrichment
from core.events import AlertGroup
from core.models import Citation, DocRef, Evidence, Finding, Severity, Step
from handlers.shared.commands import is_read_only
from knowledge.retrieval import AlertQuery, SearchResult
from knowledge.service import KnowledgeNeeds

log = logging.getLogger(__name__)

SEEN_BEFORE = "Seen before: "


def alert_query(group: AlertGroup) -> AlertQuery:
    """The retrieval view of an Alertmanager group: name, texts, labels, the rule's expression."""
    first = group.firing[0] if group.firing else group.alerts[0]
    annotations = {**first.annotations, **group.commonAnnotations}
    expression = parse_qs(urlsplit(first.generatorURL).query).get("g0.expr", [""])[0]
    return AlertQuery(
        name=group.alertname if "," not in group.alertname else first.name,
        summary=annotations.get("summary", ""),
        description=annotations.get("description", ""),
        labels=group.commonLabels or first.labels,
        expression=expression,
        runbook_url=annotations.get("runbook_url", ""),
    )


def citation(result: SearchResult, *, seen_before: bool = False) -> Citation:
    title = f"{SEEN_BEFORE}{result.title}" if seen_before else result.title
    return Citation(source=result.source, title=title, section=result.section, score=result.score, url=result.url)


def chunk_evidence(result: SearchResult) -> Evidence:
    """The retrieved chunk's text for the LLM explanation (handlers.llm.explain matches it to the
    citation by source and section). Kept in `data`, not `text`: the card cites runbooks, it does
    not print whole sections as evidence."""
    return Evidence(id=f"knowledge:{result.source}#{result.section}", source="knowledge", title=result.title,
                    data={"source": result.source, "section": result.section, "text": result.text})


EXCERPT_CODE = "RUNBOOK_EXCERPT"
EXCERPT_CHARS = 500
MAX_RUNBOOK_STEPS = 4
_CODE = re.compile(r"`([^`\n]+)`|^\s*\$?\s*((?:kubectl|oc|ceph|redis-cli) [^\n]+)$", re.MULTILINE)
# `<pod>` or POD in a runbook's command: filled from the alert's label of that name when it has one.
_PLACEHOLDER = re.compile(r"<([a-z_-]+)>|\b([A-Z][A-Z_]{1,20})\b")
_PLACEHOLDER_LABELS = {"ns": "namespace", "namespace": "namespace", "pod": "pod", "pod-name": "pod", "node": "node",
                       "container": "container", "deployment": "deployment", "service": "service", "job": "job",
                       "instance": "instance"}


def runbook_commands(text: str, labels: dict[str, str]) -> list[str]:
    """The read-only commands a runbook section gives (code spans and command lines), with `<pod>` / POD
    placeholders filled from the alert's labels where it has them (the others stay for a human to fill)."""
    found: list[str] = []
    for match in _CODE.finditer(text):
        command = (match.group(1) or match.group(2) or "").strip()

        def fill(placeholder: re.Match[str]) -> str:
            label = _PLACEHOLDER_LABELS.get((placeholder.group(1) or placeholder.group(2) or "").lower())
            return labels.get(label, placeholder.group(0)) if label else placeholder.group(0)

        command = _PLACEHOLDER.sub(fill, command)
        if command not in found and is_read_only(command):
            found.append(command)
    return found


def excerpt_finding(runbooks: list[SearchResult], labels: dict[str, str]) -> Finding | None:
    """What the best runbook says to do first, deterministically: of the top document's sections, the
    one with the most read-only commands (else its best section), quoted, its commands as steps."""
    if not runbooks:
        return None
    top = runbooks[0]
    sections = [r for r in runbooks if r.source == top.source] or [top]
    best = max(sections, key=lambda r: len(runbook_commands(r.text, labels)))
    label = best.title + (f" › {best.section}" if best.section else "")
    steps = [Step(command=c, why=f"from the runbook: {label}")
             for c in runbook_commands(best.text, labels)[:MAX_RUNBOOK_STEPS]]
    text = " ".join(best.text.split())
    return Finding(code=EXCERPT_CODE, severity=Severity.info, title=f"Runbook: {label}",
                   explanation=text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS - 1] + "…",
                   steps=steps, docs=[DocRef(title=label, url=best.url)])


class KnowledgeEnricher:
    name = "knowledge"

    def __init__(self, settings: KnowledgeNeeds) -> None:
        from knowledge.service import get_retriever

        self.settings = settings
        self.retriever = get_retriever(settings)

    def applies(self, group: AlertGroup) -> bool:
        return self.settings.knowledge.enabled

    def collect(self, group: AlertGroup) -> Enrichment:
        query = alert_query(group)
        knowledge = self.settings.knowledge
        runbooks, postmortems = self.retriever.triage(query, knowledge.k, knowledge.postmortems_k)
        excerpt = excerpt_finding([r for r in runbooks if r.doc_type == "runbook"], query.labels)
        return Enrichment(
            citations=[citation(r) for r in runbooks] + [citation(r, seen_before=True) for r in postmortems],
            evidence=[chunk_evidence(r) for r in runbooks + postmortems],
            findings=[excerpt] if excerpt else [],
        )


def knowledge_enricher(settings: KnowledgeNeeds) -> KnowledgeEnricher | None:
    """None when knowledge is disabled or nothing was ever ingested (no model is loaded then)."""
    from knowledge.service import index_exists, warm_up

    if not settings.knowledge.enabled or not index_exists(settings):
        return None
    try:
        warm_up(settings)
        return KnowledgeEnricher(settings)
    except Exception as exc:  # a broken index must not stop triage: the card goes out without citations
        log.warning("knowledge enricher disabled: %s: %s", type(exc).__name__, exc)
        return None
