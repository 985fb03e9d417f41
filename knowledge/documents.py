"""Read Markdown and reStructuredText into a document: front matter, title and heading sections.

Front matter is an optional YAML block between `---` lines at the top of either format; the keys
used are `title`, `doc_type`, `alerts`, `services` and `url`, and for retrieval in other words
`title_ru` (a Russian title), `synonyms` (Russian and English phrases), `symptoms` (what an engineer
sees or pastes when the problem happens: error text as printed, observable signs) and `codes` (finding
or health codes the document covers, such as `OOMKilled` or `OSD_DOWN`); others, such as a static site's
`weight`, are ignored. Markdown headings come from markdown-it (so a `#` inside a code block is
not a heading); RST headings are a title line with an underline (and optional overline) of one
punctuation character, levels in order of first appearance, as docutils assigns them.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from pydantic import BaseModel, Field

from knowledge.config import DOC_TYPES, DocType
from knowledge.errors import KnowledgeError

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdx"})
RST_SUFFIXES = frozenset({".rst", ".rest"})
SUFFIXES = MARKDOWN_SUFFIXES | RST_SUFFIXES

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)?---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_RST_ADORNMENT = re.compile(r"^([=\-`:'\"~^_*+#<>.])\1{2,}\s*$")
_NORMALISE = re.compile(r"[^a-z0-9а-яё]+")

log = logging.getLogger(__name__)
_FIELD_LINE = re.compile(r"^[A-Za-z_][\w-]*:", re.MULTILINE)


class Section(BaseModel):
    """Text under one heading; `path` is the chain of headings above it, outermost first."""

    path: list[str]
    text: str


class Document(BaseModel):
    source: str
    title: str
    doc_type: DocType
    alerts: list[str] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)
    url: str | None = None
    title_ru: str = ""
    synonyms: list[str] = Field(default_factory=list)
    symptoms: list[str] = Field(default_factory=list, description="error text and signs seen when it happens")
    codes: list[str] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)

    @property
    def search_terms(self) -> str:
        """Words the sparse index gets beside each chunk: alert names, codes, services, Russian title, synonyms."""
        return " ".join([*self.alerts, *self.codes, *self.services, self.title_ru, *self.synonyms]).strip()

    @property
    def keys(self) -> list[str]:
        """Normalised names an alert can match exactly: front-matter alerts, file name, title, URL."""
        names = [*self.alerts, Path(self.source).stem, self.title]
        if self.url:
            names.append(url_key(self.url))
        return sorted({k for k in (name_key(n) for n in names) if k})


class DocumentError(KnowledgeError, ValueError):
    """A file that cannot be read as a document; the message names the file."""


def name_key(name: str) -> str:
    """`KubePodCrashLooping`, `Kube Pod Crash Looping` and `kube-pod-crash-looping` compare equal."""
    return _NORMALISE.sub("", name.lower())


def url_key(url: str) -> str:
    """The last path segment of a URL without its extension: runbook_url ends in the runbook's name."""
    path = url.split("#", 1)[0].split("?", 1)[0].rstrip("/")
    last = path.rsplit("/", 1)[-1]
    return name_key(last.rsplit(".", 1)[0] if "." in last else last)


def split_front_matter(text: str, source: str = "") -> tuple[dict[str, Any], str]:
    """The front matter's fields and the text after it; a `---` block that does not parse is text
    (a horizontal rule), with a warning when it looks like front matter (a `key:` line) so a broken
    runbook is not indexed without its alerts and symptoms unnoticed."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        data = yaml.safe_load(match.group(1) or "") or {}
    except yaml.YAMLError as exc:
        if _FIELD_LINE.search(match.group(1) or ""):
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 2})" if mark is not None else ""  # after the opening ---
            log.warning("%s: front matter does not parse%s, read as text: %s", source or "document", where,
                        getattr(exc, "problem", None) or exc)
        return {}, text
    if not isinstance(data, dict):
        return {}, text
    return data, text[match.end():]


def _string_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value)]


def guess_doc_type(source: str) -> DocType:
    lowered = source.lower()
    if any(word in lowered for word in ("postmortem", "post-mortem", "post_mortem", "incident")):
        return "postmortem"
    if "runbook" in lowered or "playbook" in lowered:
        return "runbook"
    return "doc"


def parse_document(text: str, source: str, *, doc_type: DocType | None = None, rst: bool | None = None) -> Document:
    """Parse one file's text. Front matter `doc_type` wins over `doc_type`, which wins over a guess."""
    meta, body = split_front_matter(text, source)
    is_rst = Path(source).suffix.lower() in RST_SUFFIXES if rst is None else rst
    sections = _rst_sections(body) if is_rst else _markdown_sections(body)
    title = str(meta.get("title") or "").strip()
    if not title:
        first = next((s.path[0] for s in sections if s.path), "")
        title = first or Path(source).stem
    kind = str(meta.get("doc_type") or "").strip().lower()
    resolved: DocType = kind if kind in DOC_TYPES else (doc_type or guess_doc_type(source))
    url = meta.get("url")
    return Document(
        source=source,
        title=title,
        doc_type=resolved,
        alerts=_string_list(meta.get("alerts") or meta.get("alert")),
        services=_string_list(meta.get("services") or meta.get("service")),
        url=str(url) if url else None,
        title_ru=str(meta.get("title_ru") or "").strip(),
        synonyms=_string_list(meta.get("synonyms")),
        symptoms=_string_list(meta.get("symptoms")),
        codes=_string_list(meta.get("codes")),
        sections=[s for s in sections if s.text.strip()],
    )


def read_document(path: Path, source: str, *, doc_type: DocType | None = None) -> Document:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError(f"{path}: cannot read: {exc}") from None
    return parse_document(text, source, doc_type=doc_type)


def _markdown_sections(body: str) -> list[Section]:
    lines = body.splitlines()
    tokens = MarkdownIt("commonmark").parse(body)
    headings: list[tuple[int, int, int, str]] = []  # (level, first line, line after, text)
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.map:
            headings.append((int(token.tag[1]), token.map[0], token.map[1], tokens[i + 1].content.strip()))
    return _sections_from(lines, headings)


def _rst_sections(body: str) -> list[Section]:
    lines = body.splitlines()
    styles: list[tuple[str, bool]] = []
    headings: list[tuple[int, int, int, str]] = []
    i = 0
    while i < len(lines) - 1:
        over = _RST_ADORNMENT.match(lines[i])
        if over and i + 2 < len(lines) and lines[i + 1].strip() and _RST_ADORNMENT.match(lines[i + 2]):
            style, title, start, end = (over.group(1), True), lines[i + 1].strip(), i, i + 3
        else:
            under = _RST_ADORNMENT.match(lines[i + 1])
            title = lines[i].strip()
            if not (under and title and not _RST_ADORNMENT.match(lines[i])
                    and len(lines[i + 1].strip()) >= min(len(title), 4)
                    and (i == 0 or not lines[i - 1].strip())):
                i += 1
                continue
            style, start, end = (under.group(1), False), i, i + 2
        if style not in styles:
            styles.append(style)
        headings.append((styles.index(style) + 1, start, end, title))
        i = end
    return _sections_from(lines, headings)


def _sections_from(lines: list[str], headings: list[tuple[int, int, int, str]]) -> list[Section]:
    """Cut `lines` at the headings; each section keeps the path of headings above it."""
    sections: list[Section] = []
    first = headings[0][1] if headings else len(lines)
    if any(line.strip() for line in lines[:first]):
        sections.append(Section(path=[], text="\n".join(lines[:first]).strip()))
    stack: list[tuple[int, str]] = []
    for n, (level, _start, body_start, title) in enumerate(headings):
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        body_end = headings[n + 1][1] if n + 1 < len(headings) else len(lines)
        sections.append(Section(path=[t for _, t in stack], text="\n".join(lines[body_start:body_end]).strip()))
    return sections
