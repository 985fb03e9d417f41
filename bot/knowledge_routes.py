"""`GET /knowledge/<source>`: the documents citations link to when they have no URL of their own.

Serves, read-only, the bundled runbooks and the files of `knowledge.folders` (nothing else: the
path must resolve inside one of them and end in .md/.rst; hidden folders are never served) as a
small HTML page whose headings carry the anchors citations use (`#first-checks`). Markdown is
rendered with raw HTML switched off; reStructuredText is shown as text. No login: these are the same
runbooks the chat cards quote, so do not list folders here that must stay private.
"""

from __future__ import annotations

import asyncio
import html
from pathlib import Path

from aiohttp import web
from markdown_it import MarkdownIt

from bot.config import Settings
from knowledge.documents import RST_SUFFIXES, split_front_matter
from knowledge.links import ROUTE, anchor, find_document

SETTINGS = web.AppKey("knowledge_settings", Settings)
_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
_STYLE = "body{font:15px/1.5 sans-serif;max-width:60em;margin:2em auto;padding:0 1em}code,pre{background:#f4f4f4}"


def add_knowledge_routes(app: web.Application, settings: Settings) -> None:
    if settings.knowledge.enabled:
        app[SETTINGS] = settings
        app.router.add_get(ROUTE + "{source:.+}", knowledge_page)


def render_page(path: Path) -> str:
    meta, body = split_front_matter(path.read_text(encoding="utf-8", errors="replace"))
    title = str(meta.get("title") or path.stem)
    if path.suffix.lower() in RST_SUFFIXES:
        content = f"<pre>{html.escape(body)}</pre>"
    else:
        md = MarkdownIt("commonmark", {"html": False})
        tokens = md.parse(body)
        for i, token in enumerate(tokens):
            if token.type == "heading_open" and i + 1 < len(tokens):
                token.attrSet("id", anchor(tokens[i + 1].content))
        content = md.renderer.render(tokens, md.options, {})
    return (f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body>{content}</body></html>")


async def knowledge_page(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    path = find_document(settings.knowledge, request.match_info["source"])
    if path is None:
        raise web.HTTPNotFound(text="no such document")
    page = await asyncio.to_thread(render_page, path)
    return web.Response(text=page, content_type="text/html", headers=_HEADERS)
