"""A question asked in an incident card's thread: the incident itself is the first source.

The card's facts (alert, where, status, findings, evidence summary, next steps, what could not be
checked) become one section that the answer draws on and cites, ahead of the runbooks retrieval
finds for the question. Without an LLM the answer restates those facts, then quotes the runbooks.
"""

from __future__ import annotations

from core.cards import Card
from knowledge.retrieval import SearchResult

INCIDENT_SOURCE = "incident"
SECTION = "this incident's card"
MAX_FINDINGS = 8


def incident_text(card: Card) -> str:
    lines = [f"Incident: {card.title} (status {card.status.value}, severity {card.severity.value})"]
    lines += [f"{f.name}: {f.value}" for f in card.fields]
    if card.text:
        lines.append(card.text)
    for finding in card.findings[:MAX_FINDINGS]:
        lines.append(f"Finding {finding.code}: {finding.title}" + (f" — {finding.explanation}"
                                                                    if finding.explanation else ""))
    if card.evidence:
        lines.append(f"Evidence:\n{card.evidence}")
    lines += [f"Next step: {s.command}" + (f" ({s.why})" if s.why else "") for s in card.steps]
    lines += [f"Not checked: {u.source} ({u.reason})" for u in card.unavailable]
    return "\n".join(lines)


def incident_section(card: Card) -> SearchResult:
    return SearchResult(source=INCIDENT_SOURCE, title=card.title, section=SECTION, score=1.0,
                        text=incident_text(card), doc_type=INCIDENT_SOURCE)


def incident_summary(card: Card, russian: bool) -> str:
    """The incident's state in a few lines: what people in the thread most often ask first."""
    head = (f"По этому инциденту ({card.title}, {card.status.value}):" if russian
            else f"About this incident ({card.title}, {card.status.value}):")
    lines = [f"• {f.code}: {f.title}" for f in card.findings[:3]]
    lines += [f"• next: `{s.command}`" for s in card.steps[:2]]
    lines += [f"• not checked: {u.source}" for u in card.unavailable[:2]]
    if not lines:
        lines = ["• " + ("пока нет выводов анализаторов" if russian else "no analyzer findings yet")]
    return "\n".join([head, *lines])
