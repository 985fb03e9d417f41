"""/postmortem and `opsbot postmortem summarize`: a structured summary of a post-mortem.

Post-mortems are written under headings that vary by team ("Summary", "The story", "What
happened"; "Root cause", "Contributing factors"; "Action items", "Follow-ups"). Each heading is
mapped to one canonical section; the summary keeps every section the document has, cut to a
budget per section so a long document cannot crowd out the rest. Timeline entries come from
tables or dated bullet lists, action items from lists or tables, with their owner when one is
named (`@user`, an Owner column, "owner: …", "Assignee: …"). Everything shown is taken from the
document itself, so nothing on the card is invented.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Literal
from urllib.parse import urlsplit

import httpx
import yaml
from pydantic import BaseModel, Field

from core.cards import Card, CardField, CardKind, CardStatus
from core.events import Command
from handlers.shared.diagnosis import strip_fences, usage_card
from knowledge.service import KnowledgeNeeds

Section = Literal["what_happened", "impact", "root_cause", "detection", "resolution", "timeline",
                  "action_items", "lessons"]

# First match wins, so the more specific names come first.
SECTION_NAMES: list[tuple[Section, tuple[str, ...]]] = [
    ("action_items", ("action item", "follow-up", "follow up", "followup", "next step", "remediation item",
                      "todo", "corrective action", "what to do")),
    ("root_cause", ("root cause", "contributing factor", "cause", "why it happened", "issues identified",
                    "trigger")),
    ("lessons", ("lesson", "what went well", "what went wrong", "where we got lucky", "learning")),
    ("timeline", ("timeline", "chronology", "sequence of events")),
    ("impact", ("impact", "customer effect", "affected")),
    ("detection", ("detection", "how we found", "discovery")),
    ("resolution", ("resolution", "mitigation", "recovery", "how it was fixed", "fix")),
    ("what_happened", ("summary", "overview", "what happened", "the story", "description", "incident",
                       "background")),
]
SECTION_TITLES: dict[Section, str] = {
    "what_happened": "What happened", "impact": "Impact", "root_cause": "Root cause", "detection": "Detection",
    "resolution": "Resolution", "timeline": "Timeline", "action_items": "Action items", "lessons": "Lessons learned",
}
SECTION_CHARS = 700  # per prose section; lists are capped by item count instead
MAX_ITEMS = 12

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_ATX = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_UNDERLINE = re.compile(r"^(=+|-+|~+|\^+|\*+)\s*$")
_LINK = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\[[^\]]*\])?")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
_TIME = re.compile(r"(?:(?:\d{4}-)?\d{2}-\d{2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
                   r"|\b\d{1,2}:\d{2}(?:\s*[AP]M)?(?:\s*[A-Z]{2,4})?)")
_OWNER = re.compile(r"(?<![\w.])@([\w.-]+)|\b(?:owner|assignee|assigned to)\s*[:=]\s*([^,;)\]]+)", re.IGNORECASE)


class TimelineEntry(BaseModel):
    when: str
    what: str


class ActionItem(BaseModel):
    text: str
    owner: str | None = None


class PostmortemSummary(BaseModel):
    """What `opsbot postmortem summarize --json` prints."""

    title: str
    what_happened: str = ""
    impact: str = ""
    root_cause: str = ""
    detection: str = ""
    resolution: str = ""
    lessons: list[str] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    action_items: list[ActionItem] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list, description="the canonical sections the document has")
    source: str = ""
    used_llm: bool = False


class Block(BaseModel):
    heading: str
    level: int
    lines: list[str]


def canonical(heading: str) -> Section | None:
    lowered = heading.lower()
    for section, names in SECTION_NAMES:
        if any(name in lowered for name in names):
            return section
    return None


def plain(text: str) -> str:
    """Markdown links and emphasis to plain text, whitespace collapsed."""
    text = _LINK.sub(r"\1", text)
    text = re.sub(r"[*_`]{1,3}([^*_`]+)[*_`]{1,3}", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError:
        return {}, text
    return (meta if isinstance(meta, dict) else {}), text[match.end():]


def blocks(text: str) -> list[Block]:
    """The document as (heading, level, lines); Markdown `#` headings and underlined (RST/setext) ones."""
    lines = text.splitlines()
    found: list[Block] = [Block(heading="", level=0, lines=[])]
    underline_levels: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        atx = _ATX.match(line)
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if atx:
            found.append(Block(heading=plain(atx.group(2)), level=len(atx.group(1)), lines=[]))
        elif line.strip() and _UNDERLINE.match(following) and len(following.strip()) >= len(line.strip()) // 2 \
                and not _BULLET.match(line) and not line.startswith("|"):
            char = following.strip()[0]
            if char not in underline_levels:
                underline_levels.append(char)
            found.append(Block(heading=plain(line), level=underline_levels.index(char) + 1, lines=[]))
            index += 1
        else:
            found[-1].lines.append(line)
        index += 1
    return found


def paragraphs(lines: list[str]) -> Iterator[str]:
    current: list[str] = []
    for line in [*lines, ""]:
        if line.strip() and not line.lstrip().startswith("|") and not _BULLET.match(line) and not (
                current == [] and line.startswith((" ", "\t"))):
            current.append(line.strip())
        elif current:
            yield plain(" ".join(current))
            current = []


def budgeted(text: str, limit: int = SECTION_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = cut.rfind(". ")
    return (cut[: end + 1] if end > limit // 2 else cut[: cut.rfind(" ")]) + " …"


def table_rows(lines: list[str]) -> list[list[str]]:
    rows = [[plain(cell) for cell in line.strip().strip("|").split("|")] for line in lines
            if line.strip().startswith("|")]
    return [row for row in rows if not all(re.fullmatch(r":?-{2,}:?", cell or "--") for cell in row)]


def list_items(lines: list[str]) -> list[str]:
    """Bullet items, continuation lines joined to their item."""
    items: list[str] = []
    for line in lines:
        bullet = _BULLET.match(line)
        if bullet:
            items.append(bullet.group(1).strip())
        elif items and line.strip() and line.startswith((" ", "\t")):
            items[-1] += " " + line.strip()
    return [plain(item) for item in items]


def timeline(lines: list[str]) -> list[TimelineEntry]:
    rows = table_rows(lines)
    if len(rows) > 1:
        return [TimelineEntry(when=row[0], what=" ".join(row[1:]).strip()) for row in rows[1:] if len(row) > 1]
    entries: list[TimelineEntry] = []
    day = ""
    for line in lines:
        stripped = line.strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", stripped):
            day = stripped + " "
            continue
        item = _BULLET.match(line)
        text = plain(item.group(1)) if item else ""
        moment = _TIME.match(text)
        if moment:
            what = text[moment.end():].lstrip(" :-–—").strip()
            entries.append(TimelineEntry(when=(day + moment.group(0)).strip(), what=what))
        elif entries and stripped and not item and line.startswith((" ", "\t")):
            entries[-1].what += " " + plain(stripped)
    return entries


def owner_of(text: str) -> str | None:
    match = _OWNER.search(text)
    if not match:
        return None
    return (match.group(1) or match.group(2) or "").strip() or None


def action_items(lines: list[str]) -> list[ActionItem]:
    rows = table_rows(lines)
    if len(rows) > 1:
        header = [cell.lower() for cell in rows[0]]
        owner_column = next((i for i, cell in enumerate(header) if cell in ("owner", "assignee", "who")), None)
        items = []
        for row in rows[1:]:
            owner = row[owner_column].lstrip("@") if owner_column is not None and owner_column < len(row) else ""
            text = " ".join(c for i, c in enumerate(row) if i != owner_column and c)
            items.append(ActionItem(text=text, owner=owner or owner_of(text)))
        return items
    return [ActionItem(text=item, owner=owner_of(item)) for item in list_items(lines)]


def summarize(text: str, source: str = "") -> PostmortemSummary:
    """Every canonical section the document has, each cut to its budget."""
    meta, body = split_front_matter(text)
    parts = blocks(body)
    title = str(meta.get("title") or next((b.heading for b in parts if b.level == 1), "") or source or "Post-mortem")
    collected: dict[Section, list[str]] = {}
    current: Section | None = None
    current_level = 0
    for block in parts:
        section = canonical(block.heading) if block.heading else None
        if section is not None:
            current, current_level = section, block.level
        elif block.level and block.level <= current_level:
            current = None  # a sibling heading we do not know ends the section above
        if current is not None:
            collected.setdefault(current, []).extend(
                [f"{block.heading}:"] if block.heading and section is None else [])
            collected[current].extend(block.lines)
    summary = PostmortemSummary(title=title, source=source, sections=list(collected))
    for section, lines in collected.items():
        if section == "timeline":
            summary.timeline = timeline(lines)[:MAX_ITEMS * 3]
        elif section == "action_items":
            summary.action_items = action_items(lines)[:MAX_ITEMS]
        elif section == "lessons":
            summary.lessons = (list_items(lines) or list(paragraphs(lines)))[:MAX_ITEMS]
        else:
            prose = " ".join([*paragraphs(lines), "; ".join(list_items(lines))]).strip()
            setattr(summary, section, budgeted(prose))
    return summary


def summary_card(summary: PostmortemSummary) -> Card:
    prose: tuple[Section, ...] = ("impact", "root_cause", "detection", "resolution")
    fields = [CardField(name=SECTION_TITLES[s], value=getattr(summary, s), short=False)
              for s in prose if getattr(summary, s)]
    text = [summary.what_happened] if summary.what_happened else []
    if summary.timeline:
        text.append("Timeline:\n" + "\n".join(f"• {e.when}: {e.what}" for e in summary.timeline))
    if summary.action_items:
        text.append("Action items:\n" + "\n".join(
            f"• {a.text}" + (f" (owner: {a.owner})" if a.owner else " (no owner)") for a in summary.action_items))
    if summary.lessons:
        text.append("Lessons learned:\n" + "\n".join(f"• {item}" for item in summary.lessons))
    missing = [SECTION_TITLES[s] for s in SECTION_TITLES if s not in summary.sections]
    footer = "post-mortem summary · taken from the document" + (
        f" · the document has no: {', '.join(missing)}" if missing else "")
    return Card(kind=CardKind.summary, status=CardStatus.done, title=f"Post-mortem: {summary.title}",
                text="\n\n".join(text), fields=fields, footer=footer)


# --- input: pasted text or an allowlisted wiki URL --------------------------------------------

MAX_FETCH_BYTES = 2 * 1024 * 1024
USAGE = ("`/postmortem` followed by the post-mortem's text (Markdown or plain), or by its URL on an allowed wiki "
         "host (knowledge.postmortem_hosts), summarises it: what happened, impact, root cause, timeline and "
         "action items with owners.")


class FetchError(ValueError):
    """The URL is not allowed, not reachable, too large or not a document."""


class _HTMLText(HTMLParser):
    """HTML to the Markdown shape `summarize` reads: headings as `#`, list items as `-`, table rows
    as `| a | b |`. The standard library's parser is enough for wiki pages; no dependency needed."""

    def __init__(self) -> None:
        super().__init__()
        self.out: list[str] = []
        self.line: list[str] = []
        self.cells: list[str] | None = None
        self.skip = 0

    def _flush(self, prefix: str = "") -> None:
        text = " ".join("".join(self.line).split())
        if text:
            self.out.append(prefix + text)
        self.line = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "nav", "header", "footer"):
            self.skip += 1
        elif tag in ("p", "div", "br", "li", "tr") or re.fullmatch(r"h[1-6]", tag):
            self._flush()
            if tag == "tr":
                self.cells = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "nav", "header", "footer"):
            self.skip = max(0, self.skip - 1)
        elif re.fullmatch(r"h[1-6]", tag):
            self._flush("#" * int(tag[1]) + " ")
            self.out.append("")
        elif tag == "li":
            self._flush("- ")
        elif tag in ("td", "th") and self.cells is not None:
            self.cells.append(" ".join("".join(self.line).split()))
            self.line = []
        elif tag == "tr" and self.cells is not None:
            self.out.append("| " + " | ".join(self.cells) + " |")
            self.cells = None
        elif tag in ("p", "div", "table", "ul", "ol"):
            self._flush()
            self.out.append("")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.line.append(data)


def html_to_text(html: str) -> str:
    parser = _HTMLText()
    parser.feed(html)
    parser._flush()
    return "\n".join(parser.out)


def fetch(url: str, allowed_hosts: list[str], timeout_s: float = 10.0) -> str:
    """A post-mortem page from an allowlisted host (no redirects: they could leave the allowlist)."""
    host = (urlsplit(url).hostname or "").lower()
    if urlsplit(url).scheme not in ("http", "https") or host not in {h.lower() for h in allowed_hosts}:
        allowed = ", ".join(allowed_hosts) or "none configured (knowledge.postmortem_hosts)"
        raise FetchError(f"{host or url!r} is not an allowed post-mortem host; allowed: {allowed}")
    try:
        with httpx.Client(timeout=timeout_s, follow_redirects=False) as client, client.stream("GET", url) as response:
            if response.status_code != 200:
                raise FetchError(f"{url} answered HTTP {response.status_code}")
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_FETCH_BYTES:
                    raise FetchError(f"{url} is larger than {MAX_FETCH_BYTES // (1024 * 1024)} MiB")
            content_type = response.headers.get("content-type", "")
    except httpx.HTTPError as exc:
        raise FetchError(f"{url} could not be fetched: {type(exc).__name__}: {exc}") from None
    text = body.decode(errors="replace")
    return html_to_text(text) if "html" in content_type else text


def handle_command(cmd: Command, settings: KnowledgeNeeds) -> Card:
    """`/postmortem TEXT` or `/postmortem URL`."""
    text = strip_fences(cmd.text)
    if not text:
        return usage_card("/postmortem", USAGE)
    source = "(pasted)"
    if re.fullmatch(r"https?://\S+", text):
        try:
            source, text = text, fetch(text, settings.knowledge.postmortem_hosts)
        except FetchError as exc:
            return usage_card("/postmortem", USAGE, str(exc))
    return summary_card(summarize(text, source))
