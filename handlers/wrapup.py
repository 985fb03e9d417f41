"""Incident wrap-up on resolve, and the post-mortem draft behind the card's "Draft post-mortem" button.

Both are built from what the bot saw: the alerts' start and end times, the findings and runbooks
on the card, its thread notes, and what people wrote in the card's thread. The draft is Markdown
with front matter (`doc_type: postmortem`, the alert names and services), so once it is ingested
the next similar alert's card says "seen before" and links it. Sections only people can write
(impact, root cause confirmed, action items) are left as prompts, never guessed.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from core.models import Citation, Finding
from handlers.triage import format_duration
from integrations.chat import ThreadMessage
from integrations.redaction import redact

SERVICE_LABELS = ("service", "app", "job", "namespace")
LOCATION_LABELS = ("pod", "instance", "node", "namespace")
MAX_TRIED = 15


class AlertSpan(BaseModel):
    name: str
    where: str = ""
    started: datetime
    ended: datetime | None = None


class IncidentHistory(BaseModel):
    """What the wrap-up and the draft are written from."""

    key: str
    title: str
    labels: dict[str, str] = Field(default_factory=dict)
    alerts: list[AlertSpan]
    findings: list[Finding] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="the bot's own thread notes")
    tried: list[ThreadMessage] = Field(default_factory=list, description="what people wrote in the thread")

    @property
    def started(self) -> datetime:
        return min(a.started for a in self.alerts)

    @property
    def ended(self) -> datetime | None:
        ends = [a.ended for a in self.alerts]
        return max(e for e in ends if e is not None) if all(ends) else None

    @property
    def alert_names(self) -> list[str]:
        return sorted({a.name for a in self.alerts})

    @property
    def services(self) -> list[str]:
        return sorted({self.labels[label] for label in SERVICE_LABELS if self.labels.get(label)})


def where(labels: dict[str, str]) -> str:
    return ", ".join(f"{k}={labels[k]}" for k in LOCATION_LABELS if labels.get(k))


def _clock(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def timeline(history: IncidentHistory) -> list[tuple[datetime, str]]:
    events: list[tuple[datetime, str]] = []
    for alert in history.alerts:
        place = f" ({alert.where})" if alert.where else ""
        events.append((alert.started, f"{alert.name}{place} started firing"))
        if alert.ended:
            events.append((alert.ended, f"{alert.name}{place} resolved"))
    return sorted(events, key=lambda event: event[0])


def duration_text(history: IncidentHistory) -> str:
    ended = history.ended
    return format_duration((ended - history.started).total_seconds()) if ended else "still firing"


def wrapup_text(history: IncidentHistory) -> str:
    """The summary posted in the card's thread when the incident resolves."""
    ended = f" at {_clock(history.ended)}" if history.ended else ""
    lines = [f"Resolved after {duration_text(history)}{ended}: {', '.join(history.alert_names)} "
             f"({len(history.alerts)} alert(s))."]
    lines += ["Timeline:"] + [f"• {_clock(moment)} {what}" for moment, what in timeline(history)]
    if history.findings:
        lines += ["Findings:"] + [f"• {f.code}: {f.title}" for f in history.findings]
    if history.tried:
        lines += ["Tried in the thread:"] + [f"• {m.user}: {m.text}" for m in history.tried[:MAX_TRIED]]
    if history.citations:
        lines += ["Runbooks on the card:"] + [f"• {c.title} ({c.source})" for c in history.citations]
    return "\n".join(lines)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "incident"


def draft_postmortem(history: IncidentHistory) -> tuple[str, str]:
    """(file name, Markdown) of a post-mortem draft with front matter, ready to be edited and ingested."""
    front = {"title": history.title, "doc_type": "postmortem", "alerts": history.alert_names,
             "services": history.services, "date": history.started.date().isoformat(), "status": "draft"}
    body = [f"# {history.title}", "", "## Summary", "",
            f"{', '.join(history.alert_names)} fired at {_clock(history.started)} and "
            f"{'resolved after ' + duration_text(history) if history.ended else 'was still firing'}."
            + (f" Where: {where(history.labels)}." if where(history.labels) else ""),
            "", "## Impact", "", "_Who or what was affected, and for how long? (to be written)_",
            "", "## Timeline", "", "| Time | Event |", "|---|---|"]
    body += [f"| {_clock(moment)} | {what} |" for moment, what in timeline(history)]
    body += ["", "## Root cause", ""]
    body += ([f"- Suspected from the bot's findings: **{f.code}**: {f.title}" for f in history.findings]
             or ["_To be written._"])
    if history.tried:
        body += ["", "## What was tried", ""] + [f"- {m.user}: {m.text}" for m in history.tried[:MAX_TRIED]]
    body += ["", "## Action items", "", "| Action | Owner |", "|---|---|", "| _to be written_ | |"]
    if history.citations:
        body += ["", "## References", ""] + [
            f"- {c.title} › {c.section} ({c.url or c.source})" if c.section else f"- {c.title} ({c.url or c.source})"
            for c in history.citations]
    name = f"{history.started.date().isoformat()}-{slug(history.title)}-{history.key[:8]}.md"
    text = "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---\n\n" + "\n".join(body) + "\n"
    return name, text


def write_draft(history: IncidentHistory, folder: Path) -> Path:
    """Write the draft once: the same incident always gets the same file name, and a draft people
    have started editing is never overwritten by a second press of the button. Redacted like a card:
    the draft is a file people share, and it is ingested and cited later."""
    name, text = draft_postmortem(history)
    text = redact(text)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.exists():
        path.write_text(text, encoding="utf-8")
    return path
