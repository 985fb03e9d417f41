"""The console channel: cards rendered readably in the terminal and appended as JSON Lines.

Used when no Slack or Mattermost is configured (the one-command quick start). Every post, update
and thread reply becomes one JSON line in the cards file, so scripts and tests can follow it.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.style import Style
from rich.table import Table
from rich.text import Text

from core.cards import Card, Link, card_color, headline
from integrations.card_text import FIXES_HEADING, HYPOTHESIS_HEADING, fix_lines, hypothesis_line
from integrations.chat import PostRef, ThreadMessage
from integrations.images import png_bytes
from integrations.neutralise import NO_LINKS, LinkPolicy, console_markup, console_text


class ConsoleChannel:
    platform = "console"

    def __init__(self, cards_path: Path, console: Console | None = None, links: LinkPolicy = NO_LINKS) -> None:
        self.cards_path = cards_path
        self.console = console or Console(stderr=False, highlight=False)
        self.links = links  # the hosts whose links the terminal may make clickable (bot.config's allowlist)
        cards_path.parent.mkdir(parents=True, exist_ok=True)

    def post(self, channel: str, card: Card, thread_id: str | None = None) -> PostRef:
        ref = PostRef(platform=self.platform, channel=channel, post_id=uuid.uuid4().hex, thread_id=thread_id)
        card = self._saved_images(card)
        self._record("post", ref, card=card.model_dump(mode="json"))
        self.console.print(render_console(card, channel, links=self.links))
        return ref

    def update(self, ref: PostRef, card: Card) -> None:
        card = self._saved_images(card)
        self._record("update", ref, card=card.model_dump(mode="json"))
        self.console.print(render_console(card, ref.channel, updated=True, links=self.links))

    def reply(self, ref: PostRef, text: str) -> PostRef:
        reply = PostRef(platform=self.platform, channel=ref.channel, post_id=uuid.uuid4().hex,
                        thread_id=ref.post_id)
        self._record("reply", reply, text=text)
        self.console.print(Text(console_text(f"  ↳ #{ref.channel} (thread): {text}")))
        return reply

    def thread(self, ref: PostRef) -> list[ThreadMessage]:
        return []  # nobody writes in a terminal's threads

    def thread_root(self, channel: str, message_id: str) -> str:
        return message_id

    def _saved_images(self, card: Card) -> Card:
        """PNG graphs (data URLs) written to `graphs/` beside the cards file; the card names the file."""
        images = []
        for image in card.images:
            png = png_bytes(image.url)
            if png is not None:
                path = self.cards_path.parent / "graphs" / f"{hashlib.sha256(png).hexdigest()[:20]}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                if not path.exists():
                    path.write_bytes(png)
                image = image.model_copy(update={"url": str(path)})
            images.append(image)
        return card.model_copy(update={"images": images}) if card.images else card

    def _record(self, action: str, ref: PostRef, **body: Any) -> None:
        line = json.dumps({"ts": time.time(), "action": action, **ref.model_dump(), **body}, ensure_ascii=False)
        # One write on an O_APPEND descriptor: lines from several worker processes never interleave.
        fd = os.open(self.cards_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)


def _link(link: Link, links: LinkPolicy) -> Text:
    """A link the terminal may open (OSC 8) when `links` allows it; else its title and URL as text."""
    title = console_text(link.title)
    if links.allows(link.url):
        return Text(title or link.url, style=Style(link=link.url))
    return Text(f"{title}: {console_text(link.url)}" if title else console_text(link.url))


def render_console(card: Card, channel: str, updated: bool = False, links: LinkPolicy = NO_LINKS) -> Panel:
    """The card as a rich panel. Card values go into `Text` (which reads no markup) with control
    characters shown as text; the title, which rich reads as markup, is escaped."""
    parts: list[Any] = []
    if card.text:
        parts.append(Text(console_text(card.text)))
    if card.fields:
        table = Table.grid(padding=(0, 2))
        for field in card.fields:
            table.add_row(Text(console_text(field.name), style="bold"), Text(console_text(field.value)))
        parts.append(table)
    for finding in card.findings:
        parts.append(Text(console_text(f"● {finding.code} [{finding.severity.value}] {finding.title}"), style="bold"))
        if finding.explanation:
            parts.append(Text(console_text(f"  {finding.explanation}")))
    if card.hypothesis is not None:
        parts.append(Text(console_text(f"? {HYPOTHESIS_HEADING}: {hypothesis_line(card)}"), style="italic"))
    if card.evidence:
        parts.append(Text(console_text(card.evidence), style="dim"))
    if card.steps:
        parts.append(Text("Next steps:", style="bold"))
        parts.extend(Text(console_text(f"  $ {step.command}" + (f"   # {step.why}" if step.why else "")))
                     for step in card.steps)
    if card.fixes:
        parts.append(Text(f"{FIXES_HEADING}:", style="bold"))
        parts.extend(Text(console_text(f"  {line}"), style="yellow" if line.startswith("    ⚠") else "")
                     for line in fix_lines(card))
    parts.extend(Text(console_text(f"graph: {image.title}: {image.url}"), style="dim") for image in card.images)
    if card.citations:
        parts.append(Text("Sources:", style="bold"))
        parts.extend(Text(console_text(f"  {c.title} › {c.section} ({c.source})")) for c in card.citations)
    for item in card.unavailable:
        parts.append(Text(console_text(f"unavailable: {item.source}: {item.reason}"), style="dim"))
    if card.links:
        parts.append(Text(" · ", style="dim").join(_link(link, links) for link in card.links))
    if card.footer:
        parts.append(Text(console_text(card.footer), style="dim italic"))
    title = console_markup(f"#{channel} {'(updated) ' if updated else ''}{headline(card)}")
    return Panel(Group(*parts), title=title, title_align="left", border_style=card_color(card))
