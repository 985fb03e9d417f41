"""Triage enricher: the runbooks that fit an alert, and post-mortems of similar incidents, as citations.

Documents that name the alert (front matter, file name, title, runbook_url) come first, then
hybrid results; post-mortems come as "seen before" citations. The model and store are loaded
once per process when the enricher is built, so `collect` costs one query embedding and two or
three Qdrant queries (milliseconds) and fits the triage time budget.
"""

from __future__ import annotations

import logging
import re
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

from core.enrichment import Enrichment
from core.events import AlertGroup
from core.models import Citation, DocRef, Evidence, Finding, Fix, Severity, Step
from handlers.feedback import EXTRA_CANDIDATES, rank_adjuster
from handlers.shared.commands import check_fix, is_read_only
from knowledge.links import with_link
from knowledge.retrieval import AlertQuery, SearchResult
from knowledge.sections import section_kind
from knowledge.service import KnowledgeNeeds

log = logging.getLogger(__name__)

SEEN_BEFORE = "Seen before: "


class PublicUrl(Protocol):
    @property
    def public_url(self) -> str: ...


class KnowledgeLinkNeeds(KnowledgeNeeds, Protocol):
    """The knowledge settings and where chat users reach the web process (links to local documents)."""

    @property
    def web(self) -> PublicUrl: ...


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
MAX_RUNBOOK_FIXES = 3
_ITEM = re.compile(r"(?m)^(?=\s*[-*] )")  # list items of a section
_CAUTION = re.compile(r"(?:Caution|Осторожно):\s*(.+)", re.IGNORECASE | re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`|^\s*\$?\s*((?:kubectl|oc|ceph|redis-cli) [^\n]+)$", re.MULTILINE)
# `{namespace}`, `<pod>` or POD in a runbook's command: filled from the alert's label of that name when it has one.
_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]{0,40})\}|<([a-z_-]+)>|\b([A-Z][A-Z_]{1,20})\b")
_PLACEHOLDER_LABELS = {"ns": "namespace", "namespace": "namespace", "pod": "pod", "pod-name": "pod", "node": "node",
                       "container": "container", "deployment": "deployment", "service": "service", "job": "job",
                       "instance": "instance"}
_LABEL_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,252}$")  # one word: a label cannot add arguments
_UNUSABLE = "\x00"  # what an unsafe label value becomes: `screen` refuses a control character


def fill_placeholders(command: str, labels: dict[str, str]) -> str:
    """`{label}` becomes that label's value (any label) or, when the alert has none, `LABEL` for a human
    to fill; `<pod>` and POD are filled from the usual labels and otherwise left as they are. A value
    that is not one plain word makes the command unusable (the parser refuses it) rather than half-filled."""
    def value_of(label: str | None, absent: str) -> str:
        if not label or label not in labels:
            return absent
        value = labels[label]
        return value if _LABEL_VALUE.match(value) else _UNUSABLE

    def fill(placeholder: re.Match[str]) -> str:
        if braced := placeholder.group(1):
            return value_of(braced, braced.upper())
        label = _PLACEHOLDER_LABELS.get((placeholder.group(2) or placeholder.group(3) or "").lower())
        return value_of(label, placeholder.group(0))

    return _PLACEHOLDER.sub(fill, command)


def code_spans(text: str) -> list[str]:
    """The commands a runbook's text quotes: code spans and lines that start with a CLI opsbot knows."""
    return [(m.group(1) or m.group(2) or "").strip() for m in _CODE.finditer(text)]


def runbook_commands(text: str, labels: dict[str, str]) -> list[str]:
    """The read-only commands a runbook section gives, with placeholders filled from the alert's labels
    where it has them (the others stay for a human to fill)."""
    found: list[str] = []
    for span in code_spans(text):
        command = fill_placeholders(span, labels)
        if command not in found and is_read_only(command):
            found.append(command)
    return found


def runbook_fixes(section: SearchResult, labels: dict[str, str]) -> list[Fix]:
    """The changes a runbook's fixes section gives, for a human to run: per list item, the commands
    opsbot knows as changes; a destructive one only with the item's own `Caution: …` sentence."""
    label = section.title + (f" › {section.section}" if section.section else "")
    fixes: list[Fix] = []
    for item in _ITEM.split(section.text):
        caution = " ".join(match.group(1).split()) if (match := _CAUTION.search(item)) else ""
        for span in code_spans(item):
            command = fill_placeholders(span, labels)
            if is_read_only(command) or check_fix(command, caution) is not None:
                continue
            if command not in [f.command for f in fixes]:
                fixes.append(Fix(command=command, why=f"from the runbook: {label}", caution=caution,
                                 doc=DocRef(title=label, url=section.url)))
    return fixes[:MAX_RUNBOOK_FIXES]


def excerpt_finding(runbooks: list[SearchResult], labels: dict[str, str],
                    sections: list[SearchResult] | None = None) -> Finding | None:
    """What the best runbook says to do first, deterministically: of the top document's sections (all
    of them when `sections` are given), its first-checks section, else the one with the most read-only
    commands, quoted, its commands as steps; its fixes section's changes as fixes."""
    if not runbooks:
        return None
    top = runbooks[0]
    candidates = sections or [r for r in runbooks if r.source == top.source] or [top]
    checks = [r for r in candidates if section_kind(r.section) == "check" and runbook_commands(r.text, labels)]
    best = checks[0] if checks else max(candidates, key=lambda r: len(runbook_commands(r.text, labels)))
    label = best.title + (f" › {best.section}" if best.section else "")
    steps = [Step(command=c, why=f"from the runbook: {label}")
             for c in runbook_commands(best.text, labels)[:MAX_RUNBOOK_STEPS]]
    fix_section = next((r for r in candidates if section_kind(r.section) == "fix"), None)
    text = " ".join(best.text.split())
    return Finding(code=EXCERPT_CODE, severity=Severity.info, title=f"Runbook: {label}",
                   explanation=text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS - 1] + "…",
                   steps=steps, fixes=runbook_fixes(fix_section, labels) if fix_section else [],
                   docs=[DocRef(title=label, url=best.url)])


class KnowledgeEnricher:
    name = "knowledge"

    def __init__(self, settings: KnowledgeLinkNeeds) -> None:
        from knowledge.service import get_retriever

        self.settings = settings
        self.retriever = get_retriever(settings)
        self.adjust = rank_adjuster(settings)  # feedback: 👎/👍 on earlier cards of this alert move sections

    def applies(self, group: AlertGroup) -> bool:
        return self.settings.knowledge.enabled

    def collect(self, group: AlertGroup) -> Enrichment:
        query = alert_query(group)
        knowledge = self.settings.knowledge
        floor, postmortem_floor = knowledge.floors()  # below them nothing is cited rather than something wrong
        vectors = self.retriever.vectors(query.text())
        runbooks, postmortems = self.retriever.triage(query, knowledge.k + EXTRA_CANDIDATES,
                                                      knowledge.postmortems_k + EXTRA_CANDIDATES, floor=floor,
                                                      postmortem_floor=postmortem_floor, vectors=vectors)
        runbooks = self.adjust(query.name, runbooks, knowledge.k)  # votes move post-mortems as they move runbooks
        postmortems = self.adjust(query.name, postmortems, knowledge.postmortems_k)
        public_url = self.settings.web.public_url
        runbooks = [with_link(r, public_url, knowledge) for r in runbooks]
        postmortems = [with_link(r, public_url, knowledge) for r in postmortems]
        cited_runbooks = [r for r in runbooks if r.doc_type == "runbook"]
        sections = ([with_link(r, public_url, knowledge) for r in
                     self.retriever.sections_of(cited_runbooks[0], query.text(), vectors=vectors)]
                    if cited_runbooks else [])  # the whole top runbook: its first checks, whichever chunk ranked
        excerpt = excerpt_finding(cited_runbooks, query.labels, sections)
        return Enrichment(
            citations=[citation(r) for r in runbooks] + [citation(r, seen_before=True) for r in postmortems],
            evidence=[chunk_evidence(r) for r in runbooks + postmortems],
            findings=[excerpt] if excerpt else [],
        )


def knowledge_enricher(settings: KnowledgeLinkNeeds) -> KnowledgeEnricher | None:
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
