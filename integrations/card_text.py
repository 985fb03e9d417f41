"""Card sections as text, in the Markdown dialect of a chat platform.

Slack (mrkdwn) and Mattermost (Markdown) differ only in how bold, links and escapes are written;
the section layout is shared here so both platforms say the same thing. This is where untrusted
text meets markup: every value a section shows goes through the dialect's neutraliser
(`integrations.neutralise`), and what comes out is `Markup`; the headings, bullets, icons and
separators below are the only text that is not neutralised.
"""

from __future__ import annotations

from collections.abc import Callable

from core.cards import STATUS_ICON, Card, headline_label
from integrations.neutralise import MATTERMOST, NO_LINKS, SLACK, Dialect, LinkPolicy, Markup, join

__all__ = ["ELLIPSIS", "FIXES_HEADING", "HYPOTHESIS_HEADING", "MATTERMOST", "SLACK", "Dialect", "Markup",
           "citations_text", "evidence_text", "findings_text", "fix_lines", "fixes_text", "footer_text",
           "headline_text", "hypothesis_line", "hypothesis_text", "links_text", "steps_text", "title_line", "trim",
           "unavailable_text"]

ELLIPSIS = "…"
HYPOTHESIS_HEADING = "Hypothesis (LLM, not a finding)"
FIXES_HEADING = "Changes a human runs (opsbot never runs these)"
LAST_RESORT = "[LAST RESORT]"


def trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)] + ELLIPSIS


def title_line(card: Card, dialect: Dialect) -> Markup:
    """The status icon and the title, for a title slot (plain text on Slack, maybe Markdown on Mattermost)."""
    return Markup(f"{STATUS_ICON[card.status]} {dialect.plain(card.title)}".strip())


def headline_text(card: Card, dialect: Dialect) -> Markup:
    """`[FIRING] title` for notifications and fallbacks: one line of the dialect's markup."""
    return Markup(f"[{headline_label(card)}] {dialect.headline(card.title)}")


def findings_text(card: Card, dialect: Dialect) -> Markup:
    lines = []
    for finding in card.findings:
        code, severity, title = (dialect.inline(v, one_line=True) for v in
                                 (finding.code, finding.severity.value, finding.title))
        line = f"• {dialect.bold(code)} ({severity}) {title}"
        if finding.explanation:
            line += f" — {dialect.inline(finding.explanation, one_line=True)}"
        lines.append(Markup(line))
    return join("\n", lines)


def hypothesis_line(card: Card) -> str:
    """The LLM's hypothesis in plain words: cause, confidence, what it relies on (untrusted text:
    each renderer neutralises it)."""
    h = card.hypothesis
    if h is None:
        return ""
    relies = ", ".join(h.evidence_refs + [c.title + (f" › {c.section}" if c.section else "") for c in h.citations])
    model = f", {h.model}" if h.model else ""
    return f"{h.cause} ({h.confidence} confidence{model}; relies on {relies})"


def hypothesis_text(card: Card, dialect: Dialect) -> Markup:
    line = hypothesis_line(card)
    return Markup(f"🤔 {dialect.inline(line, one_line=True)}") if line else Markup("")


def evidence_text(card: Card, dialect: Dialect, links: LinkPolicy = NO_LINKS) -> Markup:
    """Log lines and numbers keep their layout in a code block they cannot leave."""
    return dialect.code_block(card.evidence, links) if card.evidence else Markup("")


def steps_text(card: Card, dialect: Dialect, links: LinkPolicy = NO_LINKS) -> Markup:
    if not card.steps:
        return Markup("")
    body = "\n".join(f"{s.command}" + (f"    # {s.why}" if s.why else "") for s in card.steps)
    return dialect.code_block(body, links)


def fix_lines(card: Card) -> list[str]:
    """The card's fixes as plain lines (untrusted text: each renderer neutralises them): the command and
    why, a last-resort mark, and the caution on its own line."""
    lines: list[str] = []
    for fix in card.fixes:
        why = " ".join(w for w in (LAST_RESORT if fix.last_resort else "", fix.why) if w)
        lines.append(fix.command + (f"    # {why}" if why else ""))
        if fix.caution:
            lines.append(f"    ⚠ caution: {fix.caution}")
    return lines


def fixes_text(card: Card, dialect: Dialect, links: LinkPolicy = NO_LINKS) -> Markup:
    """Fixes apart from next steps, in a code block of their own: changes, not read-only commands."""
    return dialect.code_block("\n".join(fix_lines(card)), links) if card.fixes else Markup("")


def citations_text(card: Card, dialect: Dialect, links: LinkPolicy = NO_LINKS) -> Markup:
    lines = []
    for citation in card.citations:
        label = citation.title + (f" › {citation.section}" if citation.section else "")
        shown = dialect.link(citation.url, label, links)
        lines.append(Markup(f"• {shown} ({dialect.inline(citation.source, one_line=True)}, "
                            f"score {citation.score:.2f})"))
    return join("\n", lines)


def links_text(card: Card, dialect: Dialect, links: LinkPolicy = NO_LINKS) -> Markup:
    return join(" · ", (dialect.link(link.url, link.title, links) for link in card.links))


def unavailable_text(card: Card, neutral: Callable[[str], Markup]) -> Markup:
    """The sources that could not be consulted, each value through `neutral` (the dialect's
    `inline` where the slot reads markup, `plain` where it may not)."""
    return join("\n", (Markup(f"unavailable: {neutral(u.source)}: {neutral(u.reason)}") for u in card.unavailable))


def footer_text(card: Card, neutral: Callable[[str], Markup]) -> Markup:
    """Unavailable sources, then the card's footer."""
    return join("\n", (t for t in (unavailable_text(card, neutral), neutral(card.footer) if card.footer else None)
                       if t))
