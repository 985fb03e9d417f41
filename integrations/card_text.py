"""Card sections as text, in the Markdown dialect of a chat platform.

Slack (mrkdwn) and Mattermost (Markdown) differ only in how bold and links are written; the
section layout is shared here so both platforms say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.cards import STATUS_ICON, Card

ELLIPSIS = "…"


@dataclass(frozen=True)
class Markup:
    bold_mark: str
    link_format: str  # with {url} and {title}

    def bold(self, text: str) -> str:
        return f"{self.bold_mark}{text}{self.bold_mark}"

    def link(self, url: str, title: str) -> str:
        return self.link_format.format(url=url, title=title)


SLACK = Markup(bold_mark="*", link_format="<{url}|{title}>")
MATTERMOST = Markup(bold_mark="**", link_format="[{title}]({url})")


def trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)] + ELLIPSIS


def title_line(card: Card) -> str:
    return f"{STATUS_ICON[card.status]} {card.title}".strip()


def findings_text(card: Card, markup: Markup) -> str:
    lines = []
    for finding in card.findings:
        line = f"• {markup.bold(finding.code)} ({finding.severity.value}) {finding.title}"
        if finding.explanation:
            line += f" — {finding.explanation}"
        lines.append(line)
    return "\n".join(lines)


HYPOTHESIS_HEADING = "Hypothesis (LLM, not a finding)"


def hypothesis_line(card: Card) -> str:
    """The LLM's hypothesis in plain words: cause, confidence, what it relies on."""
    h = card.hypothesis
    if h is None:
        return ""
    relies = ", ".join(h.evidence_refs + [c.title + (f" › {c.section}" if c.section else "") for c in h.citations])
    model = f", {h.model}" if h.model else ""
    return f"{h.cause} ({h.confidence} confidence{model}; relies on {relies})"


def hypothesis_text(card: Card, markup: Markup) -> str:
    line = hypothesis_line(card)
    return f"🤔 {line}" if line else ""


def evidence_text(card: Card) -> str:
    """Log lines and numbers keep their layout in a code block (and cannot be read as markup)."""
    return f"```\n{card.evidence}\n```" if card.evidence else ""


def steps_text(card: Card) -> str:
    if not card.steps:
        return ""
    body = "\n".join(f"{s.command}" + (f"    # {s.why}" if s.why else "") for s in card.steps)
    return f"```\n{body}\n```"


def citations_text(card: Card, markup: Markup) -> str:
    lines = []
    for citation in card.citations:
        label = citation.title + (f" › {citation.section}" if citation.section else "")
        shown = markup.link(citation.url, label) if citation.url else label
        lines.append(f"• {shown} ({citation.source}, score {citation.score:.2f})")
    return "\n".join(lines)


def links_text(card: Card, markup: Markup) -> str:
    return " · ".join(markup.link(link.url, link.title) for link in card.links)


def unavailable_text(card: Card) -> str:
    return "\n".join(f"unavailable: {u.source}: {u.reason}" for u in card.unavailable)
