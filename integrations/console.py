"""The console channel: cards rendered readably in the terminal and appended as JSON Lines.

Used when no Slack or Mattermost is configured (the one-command quick start). Every post, update
and thread reply becomes one JSON line in the cards file, so scripts and tests can follow it.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from core.cards import Card, card_color, headline
from integrations.card_text import HYPOTHESIS_HEADING, hypothesis_line
from integrations.chat import PostRef, ThreadMessage


class ConsoleChannel:
    platform = "console"

    def __init__(self, cards_path: Path, console: Console | None = None) -> None:
        self.cards_path = cards_path
        self.console = console or Console(stderr=False, highlight=False)
        cards_path.parent.mkdir(parents=True, exist_ok=True)

    def post(self, channel: str, card: Card, thread_id: str | None = None) -> PostRef:
        ref = PostRef(platform=self.platform, channel=channel, post_id=uuid.uuid4().hex, thread_id=thread_id)
        self._record("post", ref, card=card.model_dump(mode="json"))
        self.console.print(render_console(card, channel))
        return ref

    def update(self, ref: PostRef, card: Card) -> None:
        self._record("update", ref, card=card.model_dump(mode="json"))
        self.console.print(render_console(card, ref.channel, updated=True))

    def reply(self, ref: PostRef, text: str) -> PostRef:
        reply = PostRef(platform=self.platform, channel=ref.channel, post_id=uuid.uuid4().hex,
                        thread_id=ref.post_id)
        self._record("reply", reply, text=text)
        self.console.print(Text(f"  ↳ #{ref.channel} (thread): {text}"))
        return reply

    def thread(self, ref: PostRef) -> list[ThreadMessage]:
        return []  # nobody writes in a terminal's threads

    def thread_root(self, channel: str, message_id: str) -> str:
        return message_id

    def _record(self, action: str, ref: PostRef, **body: Any) -> None:
        line = json.dumps({"ts": time.time(), "action": action, **ref.model_dump(), **body}, ensure_ascii=False)
        # One write on an O_APPEND descriptor: lines from several worker processes never interleave.
        fd = os.open(self.cards_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)


def render_console(card: Card, channel: str, updated: bool = False) -> Panel:
    parts: list[Any] = []
    if card.text:
        parts.append(Text(card.text))
    if card.fields:
        table = Table.grid(padding=(0, 2))
        for field in card.fields:
            table.add_row(Text(field.name, style="bold"), Text(field.value))
        parts.append(table)
    for finding in card.findings:
        parts.append(Text(f"● {finding.code} [{finding.severity.value}] {finding.title}", style="bold"))
        if finding.explanation:
            parts.append(Text(f"  {finding.explanation}"))
    if card.hypothesis is not None:
        parts.append(Text(f"? {HYPOTHESIS_HEADING}: {hypothesis_line(card)}", style="italic"))
    if card.evidence:
        parts.append(Text(card.evidence, style="dim"))
    if card.steps:
        parts.append(Text("Next steps:", style="bold"))
        parts.extend(Text(f"  $ {step.command}" + (f"   # {step.why}" if step.why else "")) for step in card.steps)
    if card.citations:
        parts.append(Text("Sources:", style="bold"))
        parts.extend(Text(f"  {c.title} › {c.section} ({c.source})") for c in card.citations)
    for item in card.unavailable:
        parts.append(Text(f"unavailable: {item.source}: {item.reason}", style="dim"))
    if card.links:
        parts.append(Text(" · ".join(f"{link.title}: {link.url}" for link in card.links), style="dim"))
    if card.footer:
        parts.append(Text(card.footer, style="dim italic"))
    title = f"#{channel} {'(updated) ' if updated else ''}{headline(card)}"
    return Panel(Group(*parts), title=title, title_align="left", border_style=card_color(card))
