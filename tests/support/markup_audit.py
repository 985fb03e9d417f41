"""What a rendered card can still do, counted the way each platform reads it.

An oracle for the hostile-markup corpus, kept apart from `integrations.neutralise` (it imports
nothing of the project), so that it can also measure renderers that neutralise nothing:

- Slack: mrkdwn texts of the blocks and the fallback text. `<!…>` / `<@…>` / `<#…>` are mentions,
  `<scheme:…|…>` links, bare `http(s)://`, `www.` and e-mail addresses autolinks, `*…*` lines bold
  headings; a code block is what stands between a pair of ```.
- Mattermost: every Markdown the post carries, parsed with markdown-it (CommonMark + tables):
  links, images, HTML, headings, rules, tables, block quotes as tokens; mentions and autolinks in
  text outside code.
- Console: rich segments (hyperlinks are a style) and the plain export (no escape sequence but
  rich's own).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token
from rich.console import Console

SECTION_HEADINGS = ("Findings", "Hypothesis (LLM, not a finding)", "Evidence", "Next steps",
                    "Changes a human runs (opsbot never runs these)", "Sources")

_SLACK_ANGLE = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_BARE_URL = re.compile(r"(?i)(?<![\w.+-])(?:(?:https?|ftp|file)://[^\s<>)\]|]+|www\.[a-z0-9-]+\.[^\s<>)\]|]+)")
_EMAIL = re.compile(r"(?i)(?<![\w.+-])[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}")
_MASS = re.compile(r"(?i)(?<![\w])@(?:channel|here|everyone|all)\b")
_USER = re.compile(r"(?i)(?<![\w@])@[a-z0-9][a-z0-9._-]*")
_BOLD_LINE = re.compile(r"^\s*\*[^*\n]+\*\s*$", re.M)


@dataclass
class Counts:
    mass_mentions: int = 0
    user_mentions: int = 0
    foreign_links: int = 0  # clickable links whose target is not allowed (javascript:, other hosts …)
    images: int = 0
    html: int = 0
    spoofed_headings: int = 0  # bold lines, headings, rules, tables, quotes the card did not make
    escaped_code: int = 0  # markers of code-block content found outside a code block
    control_sequences: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))


def allowed(url: str, hosts: Iterable[str]) -> bool:
    """http(s), no credentials, host equal to or under an allowed one."""
    url = url.replace("&amp;", "&").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or "@" in parts.netloc or not parts.hostname:
        return False
    host = parts.hostname.rstrip(".")
    return any(host == h or host.endswith("." + h) for h in hosts)


def _bare(text: str, hosts: Iterable[str]) -> int:
    hosts = list(hosts)
    urls = [u for u in _BARE_URL.findall(text) if not allowed(u if "://" in u else "http://" + u, hosts)]
    return len(urls) + len(_EMAIL.findall(text))


# --- Slack ---------------------------------------------------------------------------------------

def slack_texts(blocks: list[dict[str, Any]]) -> tuple[list[str], list[str], list[str]]:
    """(section texts, field and context texts, plain_text texts) of a message's blocks."""
    sections: list[str] = []
    others: list[str] = []
    plain: list[str] = []

    def text_of(obj: Any, into: list[str]) -> None:
        if isinstance(obj, dict) and isinstance(obj.get("text"), str):
            (plain if obj.get("type") == "plain_text" else into).append(obj["text"])

    for block in blocks:
        text_of(block.get("text"), sections if block.get("type") == "section" else others)
        for item in block.get("fields", []) + block.get("elements", []):
            text_of(item, others)
            text_of(item.get("text") if isinstance(item, dict) else None, others)
    return sections, others, plain


def slack_code_spans(text: str) -> tuple[str, str]:
    """(outside, inside) code blocks, Slack's way: what stands between a pair of ``` is code."""
    parts = text.split("```")
    return "\n".join(parts[0::2]), "\n".join(parts[1::2])


def audit_slack(fallback: str, blocks: list[dict[str, Any]], hosts: Iterable[str], *,
                headings: int = 0, code_markers: Iterable[str] = ()) -> Counts:
    """`headings` is how many bold heading lines the renderer itself wrote."""
    hosts = list(hosts)
    sections, others, plain = slack_texts(blocks)
    counts = Counts()
    for text in [fallback, *sections, *others]:
        for target, _label in _SLACK_ANGLE.findall(text):
            if target.startswith("!"):
                counts.mass_mentions += 1
            elif target.startswith(("@", "#")):
                counts.user_mentions += 1
            elif re.match(r"(?i)[a-z][a-z0-9+.-]*:", target) and not allowed(target, hosts):
                counts.foreign_links += 1
        counts.mass_mentions += len(_MASS.findall(text))
        outside, _inside = slack_code_spans(re.sub(r"(?<!`)`[^`\n]+`(?!`)", " ", text))
        counts.foreign_links += _bare(_SLACK_ANGLE.sub(" ", outside), hosts)  # Slack links nothing in code
    for text in plain:  # plain_text is never parsed; counted anyway, as written
        counts.mass_mentions += len(re.findall(r"<!(?:channel|here|everyone|subteam)", text))
        counts.user_mentions += len(re.findall(r"<[@#][A-Z0-9]", text))
    bold_lines = sum(len(_BOLD_LINE.findall(slack_code_spans(text)[0])) for text in sections + others)
    counts.spoofed_headings = max(0, bold_lines - headings)
    for text in [*sections, *others]:
        outside, _inside = slack_code_spans(text)
        counts.escaped_code += sum(outside.count(marker) for marker in code_markers)
    return counts


# --- Mattermost ----------------------------------------------------------------------------------

_MD = MarkdownIt("commonmark").enable("table")


def _walk(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def mattermost_markdowns(post: dict[str, Any]) -> list[tuple[str, bool]]:
    """Every string of a post a Mattermost client may read as Markdown, and whether it is a block
    of text (the attachment's text, a field's value) rather than a one-line slot."""
    texts = [(post.get("message", ""), False)]
    for attachment in post.get("props", {}).get("attachments", []):
        texts += [(attachment.get(k, ""), k in ("text", "pretext")) for k in ("fallback", "title", "text", "footer",
                                                                              "pretext")]
        for f in attachment.get("fields", []):
            texts += [(f.get("title", ""), False), (f.get("value", ""), True)]
        texts += [(a.get("name", ""), False) for a in attachment.get("actions", [])]
    return [(t, block) for t, block in texts if t]


def audit_markdown(text: str, hosts: Iterable[str], *, strong: int | None = 0,
                   code_markers: Iterable[str] = ()) -> Counts:
    """One Markdown string; `strong` is how many bold spans the renderer itself wrote (None: a
    one-line slot such as a title or footer, where bold cannot pose as a section heading)."""
    hosts = list(hosts)
    counts = Counts()
    strongs = 0
    for token in _walk(_MD.parse(text)):
        kind = token.type
        if kind == "link_open":
            href = str(token.attrGet("href") or "")
            counts.foreign_links += 0 if allowed(href, hosts) else 1
        elif kind == "image":
            counts.images += 1
        elif kind in ("html_inline", "html_block"):
            counts.html += 1
        elif kind in ("heading_open", "hr", "table_open", "blockquote_open"):
            counts.spoofed_headings += 1
        elif kind == "strong_open":
            strongs += 1
        elif kind == "text":
            counts.mass_mentions += len(_MASS.findall(token.content))
            counts.user_mentions += len([m for m in _USER.findall(token.content) if not _MASS.fullmatch(m)])
            counts.foreign_links += _bare(token.content, hosts)
            counts.escaped_code += sum(token.content.count(marker) for marker in code_markers)
        elif kind in ("fence", "code_block", "code_inline"):
            counts.mass_mentions += len(_MASS.findall(token.content))
    if strong is not None:
        counts.spoofed_headings += max(0, strongs - strong)
    return counts


def audit_mattermost(post: dict[str, Any], hosts: Iterable[str], *, strong: int = 0,
                     code_markers: Iterable[str] = ()) -> Counts:
    attachment_text = post.get("props", {}).get("attachments", [{}])[0].get("text", "")
    total = Counts()
    for text, block in mattermost_markdowns(post):
        expected = strong if text is attachment_text else (0 if block else None)
        total += audit_markdown(text, hosts, strong=expected, code_markers=code_markers)
    return total


# --- console -------------------------------------------------------------------------------------

def audit_console(renderable: Any, hosts: Iterable[str], *, markup_probes: Iterable[str] = ()) -> Counts:
    """Hyperlinks rich would emit, escape sequences in the plain output, and markup rich read
    (a probe such as `[bold]x[/bold]` missing from the output was interpreted)."""
    hosts = list(hosts)
    counts = Counts()
    console = Console(file=io.StringIO(), width=200, color_system=None, force_terminal=False, highlight=False)
    for segment in console.render(renderable):
        style = segment.style
        if style is not None and style.link and not allowed(style.link, hosts):
            counts.foreign_links += 1
    console.print(renderable)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    counts.control_sequences += len(re.findall(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out))
    flat = re.sub(r"[\s│─╭╮╰╯]+", "", out)
    counts.spoofed_headings += sum(1 for probe in markup_probes if re.sub(r"\s+", "", probe) not in flat)
    return counts
