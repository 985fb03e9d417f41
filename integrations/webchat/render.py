"""A card and its thread as an HTML fragment for the web board.

Every value of the card is untrusted and goes through `web_text` (escaped for an element or a quoted
attribute); a link is an `<a>` only when `web_href` allows it (the card's `LinkPolicy`), otherwise its
title and URL are text. The tags, classes and `data-*` names below are the only markup not escaped.
Buttons carry their action and value as data attributes; the page's own script posts them (with the
CSRF token), so the fragment has no script, no event handler attribute and nothing that runs.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.cards import RESOLVED_COLOR, SEVERITY_COLOR, STATUS_ICON, Card, Image, Link, card_color, headline_label
from integrations.card_text import FIXES_HEADING, HYPOTHESIS_HEADING, fix_lines, hypothesis_line
from integrations.images import png_bytes
from integrations.neutralise import NO_LINKS, LinkPolicy, shown_url, web_href, web_text
from integrations.webchat.store import ThreadEntry, WebPost

# The page's stylesheet colours a card by this (no inline style: the page's CSP allows none).
COLOR_CLASS = {RESOLVED_COLOR: "ok", **{color: severity.value for severity, color in SEVERITY_COLOR.items()}}


def _e(text: object) -> str:
    return web_text(str(text))


def _link(link: Link, links: LinkPolicy) -> str:
    href = web_href(link.url, links)
    title = _e(link.title) if link.title else _e(shown_url(link.url))
    if href:
        return f'<a class="link" href="{href}" rel="noopener noreferrer nofollow" target="_blank">{title}</a>'
    return f'<span class="link-text">{title}: {_e(shown_url(link.url))}</span>' if link.title else title


def inline_png(image: Image) -> str | None:
    """The `src` of an image the page may show inline: a PNG data URL that decodes, under the size cap."""
    return image.url if png_bytes(image.url) is not None else None


def _section(name: str, body: str) -> str:
    return f'<section class="{name}">{body}</section>' if body else ""


def _items(items: Iterable[str]) -> str:
    rendered = "".join(f"<li>{item}</li>" for item in items)
    return f"<ul>{rendered}</ul>" if rendered else ""


def card_body(card: Card, links: LinkPolicy = NO_LINKS) -> str:
    """The card itself: headline, text, fields, findings, hypothesis, evidence, steps, fixes, sources,
    images, links, buttons, unavailable sources and footer."""
    parts = [f'<header><span class="icon">{STATUS_ICON[card.status]}</span> '
             f'<span class="label">[{_e(headline_label(card))}]</span> <span class="title">{_e(card.title)}</span>'
             "</header>"]
    if card.summary and card.summary != card.text:
        parts.append(f'<p class="summary">{_e(card.summary)}</p>')
    if card.text:
        parts.append(f'<div class="text">{_e(card.text)}</div>')
    if card.fields:
        rows = "".join(f"<dt>{_e(f.name)}</dt><dd>{_e(f.value)}</dd>" for f in card.fields)
        parts.append(f'<dl class="fields">{rows}</dl>')
    parts.append(_section("findings", _items(
        f'<b class="code">{_e(f.code)}</b> <span class="sev">({_e(f.severity.value)})</span> {_e(f.title)}'
        + (f' <span class="why">— {_e(f.explanation)}</span>' if f.explanation else "") for f in card.findings)))
    if card.hypothesis is not None:
        parts.append(_section("hypothesis", f"<h4>{_e(HYPOTHESIS_HEADING)}</h4><p>{_e(hypothesis_line(card))}</p>"))
    if card.evidence:
        parts.append(_section("evidence", f"<h4>Evidence</h4><pre>{_e(card.evidence)}</pre>"))
    if card.steps:
        steps = "\n".join(s.command + (f"    # {s.why}" if s.why else "") for s in card.steps)
        parts.append(_section("steps", f"<h4>Next steps</h4><pre><code>{_e(steps)}</code></pre>"))
    if card.fixes:  # the same words as every platform (integrations.card_text.fix_lines), apart from the steps
        lines = "\n".join(fix_lines(card))
        parts.append(_section("fixes", f"<h4>{_e(FIXES_HEADING)}</h4><pre><code>{_e(lines)}</code></pre>"))
    if card.citations:
        parts.append(_section("sources", "<h4>Sources</h4>" + _items(
            _link(Link(title=c.title + (f" › {c.section}" if c.section else ""), url=c.url or ""), links)
            if c.url else _e(c.title + (f" › {c.section}" if c.section else "")) for c in card.citations)))
    images = [(image, inline_png(image)) for image in card.images]
    parts.append(_section("images", "".join(
        f'<figure><img alt="{_e(image.title)}" src="{src}"><figcaption>{_e(image.title)}</figcaption></figure>'
        for image, src in images if src)))
    if card.links:
        parts.append(f'<nav class="links">{" · ".join(_link(link, links) for link in card.links)}</nav>')
    if card.buttons:
        parts.append('<div class="buttons">' + "".join(
            f'<button type="button" class="action style-{_e(b.style)}" data-action="{_e(b.action)}" '
            f'data-value="{_e(b.value)}">{_e(b.label)}</button>' for b in card.buttons) + "</div>")
    for item in card.unavailable:
        parts.append(f'<p class="unavailable">unavailable: {_e(item.source)}: {_e(item.reason)}</p>')
    if card.footer:
        parts.append(f'<footer>{_e(card.footer)}</footer>')
    return "".join(p for p in parts if p)


def _entry(entry: ThreadEntry, children: dict[str, WebPost], links: LinkPolicy) -> str:
    if entry.post_id:
        child = children.get(entry.post_id)
        return (f'<div class="reply-card" id="post-{_e(child.id)}">{card_body(child.card, links)}</div>'
                if child else "")
    who = "bot" if entry.by_bot else "person"
    return f'<div class="note {who}"><span class="who">{_e(entry.user)}</span> {_e(entry.text)}</div>'


def render_post(post: WebPost, thread: list[ThreadEntry], children: dict[str, WebPost],
                links: LinkPolicy = NO_LINKS, feedback: Iterable[tuple[str, str]] = ()) -> str:
    """The board's element for one thread: the card, then every entry of its thread, then a reply box.
    `feedback` adds (action, label) buttons that post the card's id to the action handler."""
    card = post.card
    attrs = (f'id="post-{_e(post.id)}" data-id="{_e(post.id)}" data-channel="{_e(post.channel)}" '
             f'data-status="{_e(card.status.value)}" data-severity="{_e(card.severity.value)}" '
             f'data-kind="{_e(card.kind.value)}" data-version="{post.version}" data-updated="{post.updated_at:.3f}" '
             f'data-color="{_e(COLOR_CLASS.get(card_color(card), "info"))}"')
    notes = "".join(_entry(e, children, links) for e in thread)
    buttons = "".join(f'<button type="button" class="action feedback" data-action="{_e(action)}" '
                      f'data-value="{_e(post.id)}">{_e(label)}</button>' for action, label in feedback)
    return (f'<article class="card" {attrs}><span class="channel">#{_e(post.channel)}</span>{card_body(card, links)}'
            f'{f"<div class=feedback-row>{buttons}</div>" if buttons else ""}'
            f'<details class="thread"{" open" if thread else ""}><summary>Thread ({len(thread)})</summary>{notes}'
            f'<form class="reply" data-post="{_e(post.id)}"><input name="text" autocomplete="off" '
            f'placeholder="Reply in the thread; @opsbot or /command asks the bot"><button type="submit">Reply</button>'
            "</form></details></article>")
