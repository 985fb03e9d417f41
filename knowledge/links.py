"""Links to documents that have no URL of their own: the web process serves bundled runbooks and the
configured knowledge folders at `/knowledge/<source>`, each heading with an anchor `#<section>`.

A citation of such a document links there when `web.public_url` is set (nowhere else could a chat
client open it). Only files under those roots, with a Markdown or RST suffix, are ever served.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from knowledge.config import KnowledgeSettings
from knowledge.documents import SUFFIXES
from knowledge.retrieval import SearchResult
from knowledge.service import BUNDLED_ROOT, bundled_runbooks_dir

ROUTE = "/knowledge/"
_SLUG_DROP = re.compile(r"[^\w\s-]", re.UNICODE)
_SLUG_SPACE = re.compile(r"[\s_-]+")


def anchor(heading: str) -> str:
    """`First checks` -> `first-checks`; a section path `A > B` anchors at its last heading."""
    last = heading.rsplit(" > ", 1)[-1]
    return _SLUG_SPACE.sub("-", _SLUG_DROP.sub("", last.lower())).strip("-")


def served_roots(knowledge: KnowledgeSettings) -> dict[str, Path]:
    """Store root -> folder, for every source the web process serves (the index's `root` of each)."""
    roots: dict[str, Path] = {}
    if knowledge.bundled_runbooks:
        roots[BUNDLED_ROOT] = bundled_runbooks_dir()
    for folder in knowledge.folders:
        path = folder.path.expanduser().resolve()
        roots[str(path)] = path if path.is_dir() else path.parent
    return roots


def document_link(public_url: str, knowledge: KnowledgeSettings, root: str, source: str, section: str) -> str | None:
    """Where a chat user can read this section, or None (no public URL, or a root the web does not serve)."""
    if not public_url or root not in served_roots(knowledge):
        return None
    fragment = f"#{anchor(section)}" if section else ""
    return f"{public_url.rstrip('/')}{ROUTE}{quote(source)}{fragment}"


def with_link(result: SearchResult, public_url: str, knowledge: KnowledgeSettings) -> SearchResult:
    """The result with a URL someone can open: its own, else the web process's page of a local document."""
    if result.url:
        return result
    url = document_link(public_url, knowledge, result.root, result.source, result.section)
    return result.model_copy(update={"url": url}) if url else result


def find_document(knowledge: KnowledgeSettings, source: str) -> Path | None:
    """The served file named `source` (relative, inside one of the roots), or None."""
    if not source or source.startswith("/") or "\\" in source or "\0" in source:
        return None
    if any(part.startswith(".") for part in Path(source).parts):  # hidden folders are never ingested
        return None
    for folder in served_roots(knowledge).values():
        base = folder.resolve()
        candidate = (base / source).resolve()
        if candidate.is_relative_to(base) and candidate.suffix.lower() in SUFFIXES and candidate.is_file():
            return candidate
    return None
