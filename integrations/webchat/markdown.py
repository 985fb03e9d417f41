"""A card as one Markdown message, for clients that read Markdown (the OpenAI-compatible endpoint).

The same sections as every chat platform (`integrations.card_text`) in the CommonMark dialect that
Mattermost uses: every value neutralised, links only where the `LinkPolicy` allows (citations become
`[title › section](url)`), commands in code blocks they cannot leave.
"""

from __future__ import annotations

from core.cards import Card
from integrations.card_text import (
    FIXES_HEADING,
    HYPOTHESIS_HEADING,
    MATTERMOST,
    citations_text,
    evidence_text,
    findings_text,
    fixes_text,
    footer_text,
    hypothesis_text,
    links_text,
    steps_text,
    title_line,
)
from integrations.neutralise import NO_LINKS, LinkPolicy


def card_markdown(card: Card, links: LinkPolicy = NO_LINKS) -> str:
    md = MATTERMOST
    sections: list[str] = [f"**{title_line(card, md)}**"]
    if card.summary and card.summary != card.text:
        sections.append(md.text(card.summary, links))
    if card.text:
        sections.append(md.text(card.text, links))
    if card.fields:
        sections.append("\n".join(f"- **{md.plain(f.name)}**: {md.inline(f.value, links)}" for f in card.fields))
    for heading, body in (("Findings", findings_text(card, md)), (HYPOTHESIS_HEADING, hypothesis_text(card, md)),
                          ("Evidence", evidence_text(card, md, links)), ("Next steps", steps_text(card, md, links)),
                          (FIXES_HEADING, fixes_text(card, md, links)), ("Sources", citations_text(card, md, links))):
        if body:
            sections.append(f"**{heading}**\n{body}")
    if card.links:
        sections.append(links_text(card, md, links))
    footer = footer_text(card, md.plain)
    if footer:
        sections.append(f"_{footer}_")
    return "\n\n".join(s for s in sections if s)
