"""Untrusted text made inert at the rendering boundary: one neutraliser per chat dialect.

Everything on a card that came from outside (alert annotations and labels, log lines, events,
command output, the LLM's words, documents, people's thread messages) is a plain `str`. Only a
renderer makes `Markup`, the text of a dialect that goes into a message as is: its own headings,
bullets and separators (literals in the renderer) and untrusted text after the dialect's
neutraliser. Trust is decided by that type, never by what a string looks like.

What neutralised text can no longer do, per dialect:

- **Slack mrkdwn** (`SLACK`): `&`, `<`, `>` are escaped as Slack requires, so `<!channel>`,
  `<!here>`, `<!everyone>`, `<!subteam^…>`, `<@U…>`, `<#C…>` and `<url|text>` are shown, not
  parsed; `@channel`/`@here`/`@name` words and e-mail addresses are broken with a word joiner
  (U+2060, invisible); `*` becomes `∗` (no bold, so no fake section headings, which are bold);
  bare URLs outside the allowlist lose their scheme's `:` to a word joiner (not autolinked);
  mrkdwn objects are sent with `verbatim: true`, so Slack itself links and mentions nothing.
- **Mattermost Markdown** (`MATTERMOST`): Markdown punctuation is backslash-escaped (no links,
  images, emphasis, headings, rules, setext underlines, tables, block quotes, HTML); `@` and `~`
  mentions are broken with a word joiner; bare URLs and `www.` outside the allowlist are defanged.
  Attachment titles, field titles, footers and the notification text are rendered as `plain`:
  the same guarantees with word joiners only, so a context that does not read Markdown shows no
  backslashes.
- **Code blocks** (both): untrusted text cannot close the fence: no two backticks stay adjacent
  (a word joiner goes between them), and the fence is chosen longer than any backtick run left.
- **Links**: only `http`/`https` URLs without credentials whose host is in the `LinkPolicy`
  (exactly, or a subdomain of an allowed domain) are clickable; any other is shown as text.
- **Console** (rich): control characters (ANSI escapes, OSC 8 hyperlinks, bidi overrides) are
  shown as `\\x1b`-style text; strings that rich reads as markup are escaped with
  `rich.markup.escape`.
- **Web** (HTML, the web channel): `web_text` escapes `& < > " '` after cleaning; links only
  through `web_href` (the same `LinkPolicy`), so `<script>` and `javascript:` stay text.

Fenced code blocks in card text (a /logs card's hits and query) are rebuilt by the neutraliser:
their content is neutralised as code and their fences are its own, so they are the one structure
untrusted text can ask for, and it is the most inert one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html import escape as html_escape
from urllib.parse import quote, urlsplit

from rich.markup import escape as rich_escape

WJ = "\u2060"  # WORD JOINER: invisible, not whitespace; breaks mentions, autolinks and backtick runs

LINK_SCHEMES = ("http", "https")
MASS_MENTIONS = ("channel", "here", "everyone", "all")
# Info strings a rebuilt fence keeps (`latex`, `mermaid` … would make Mattermost render, not show, the block).
FENCE_LANGUAGES = frozenset({"json", "yaml", "yml", "text", "txt", "sh", "bash", "shell", "console", "ini", "toml",
                             "sql", "nginx", "conf", "diff", "log", "python", "go", "promql", "xml"})


class Markup(str):
    """Text in a chat dialect's markup, made by a renderer: its own structure, and untrusted text
    after the dialect's neutraliser. The only kind of string a renderer puts into a message."""

    __slots__ = ()


def join(separator: str, parts: Iterable[Markup]) -> Markup:
    """Markup pieces joined by a renderer's own separator."""
    return Markup(separator.join(parts))


# --- cleaning: what no dialect shows -------------------------------------------------------------

_NEWLINES = re.compile(r"\r\n|[\r\u2028\u2029\u0085\v\f]")
_BIDI = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")


def clean(text: str) -> str:
    """One kind of line break (`\\n`), no bidi overrides, control characters shown as `\\xNN`."""
    text = _NEWLINES.sub("\n", text)
    text = _BIDI.sub("", text)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


# --- links ---------------------------------------------------------------------------------------

_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$|^\[[0-9a-f:.]+\]$")
_USERINFO = re.compile(r"^([a-z][a-z0-9+.\-]*://)[^/?#\s]*@", re.IGNORECASE)
_NOT_URL_SAFE = re.compile(r"[^A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]")


def host_of(entry: str) -> str:
    """The host an allowlist entry names: a URL (`https://grafana.internal:3000/`), a host
    (`wiki.example.internal`, with an optional port) or a domain (`*.example.internal`, `.example.internal`)."""
    entry = entry.strip().lower()
    if "://" in entry:
        try:
            entry = urlsplit(entry).hostname or ""
        except ValueError:
            return ""
    else:
        entry = entry.removeprefix("*.").lstrip(".").split("/", 1)[0]
        if not entry.startswith("["):
            entry = entry.rsplit("@", 1)[-1].split(":", 1)[0]
    entry = entry.rstrip(".")
    try:
        entry = entry.encode("idna").decode("ascii") if not entry.isascii() else entry
    except UnicodeError:
        return ""
    return entry if _HOST.match(entry) else ""


@dataclass(frozen=True)
class LinkPolicy:
    """Which links a card may make clickable: `http`/`https`, no credentials, and a host that is in
    `hosts` or a subdomain of one. The default allows none."""

    hosts: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, entries: Iterable[str]) -> LinkPolicy:
        return cls(frozenset(h for h in (host_of(e) for e in entries if e) if h))

    def allows(self, url: str) -> bool:
        if not self.hosts or not url or url != url.strip() or "\\" in url:
            return False
        if any(ch.isspace() or not ch.isprintable() for ch in url):
            return False
        try:
            parts = urlsplit(url)
            _ = parts.port  # raises ValueError on a port that is not a number
        except ValueError:
            return False
        if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc or "@" in parts.netloc:
            return False
        host = (parts.hostname or "").rstrip(".")
        if not host.isascii() or not _HOST.match(host):
            return False
        return any(host == allowed or host.endswith("." + allowed) for allowed in self.hosts)


NO_LINKS = LinkPolicy()


def link_target(url: str) -> str:
    """An allowed URL as a link target: anything outside RFC 3986's characters percent-encoded, and
    parentheses too when they are not balanced (a Markdown destination ends at an unbalanced `)`)."""
    target = _NOT_URL_SAFE.sub(lambda m: quote(m.group(0), safe=""), url)
    depth = 0
    for ch in target:
        depth += 1 if ch == "(" else -1 if ch == ")" else 0
        if depth < 0:
            break
    if depth != 0:
        target = target.replace("(", "%28").replace(")", "%29")
    return target


def shown_url(url: str) -> str:
    """A URL shown as text: its credentials, if any, replaced by `***`."""
    return _USERINFO.sub(r"\1***@", url)


# URL-like tokens in prose: scheme://… and www.…; trailing punctuation is not part of them.
_URL_TOKEN = re.compile(r"(?i)(?<![A-Za-z0-9+.\-])(?:[a-z][a-z0-9+.\-]{0,31}://|www\d{0,3}\.)[^\s<>\"'`\[\]{}|\\^]*")
_TRAILING = ".,;:!?'\")]}*_~"
_SCHEME_COLON = re.compile(r"(?i)(?<![A-Za-z0-9+.\-])([a-z][a-z0-9+.\-]{0,31})(?=://)")
_BARE_SCHEME = re.compile(r"(?i)\b(mailto|tel|sms|callto|javascript|vbscript|data|file|blob)(?=:\S)")
_WWW = re.compile(r"(?i)(?<![A-Za-z0-9\-])(www\d{0,3})(?=\.[a-z0-9])")


def defang(text: str) -> str:
    """URLs, `www.` names and `mailto:`/`javascript:` … prefixes that no autolinker recognises (a word
    joiner before the scheme's `:` or the first dot), and that look the same."""
    text = _SCHEME_COLON.sub(lambda m: m.group(1) + WJ, text)
    text = _BARE_SCHEME.sub(lambda m: m.group(1) + WJ, text)
    return _WWW.sub(lambda m: m.group(1) + WJ, text)


def _split_url(token: str) -> tuple[str, str]:
    """A URL token and the punctuation after it that ends a sentence rather than the URL."""
    end = len(token)
    while end and token[end - 1] in _TRAILING:
        if token[end - 1] == ")" and token[:end].count("(") >= token[:end].count(")"):
            break
        end -= 1
    return token[:end], token[end:]


# --- shared pieces -------------------------------------------------------------------------------

_MENTION = re.compile(r"@(?=\w)")
_MASS = re.compile(r"@(?=(?:" + "|".join(MASS_MENTIONS) + r")\b)", re.IGNORECASE)
_BACKTICK_PAIR = re.compile(r"`(?=`)")
_CODE_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_FENCE_OPEN = re.compile(r"`{3,}[ \t]*([A-Za-z0-9_+.\-]{0,20})[ \t]*")
_FENCE_ONLY = re.compile(r"`{3,}")


def break_backticks(text: str) -> str:
    """No two backticks adjacent: a code block's content cannot close its fence, prose cannot open one."""
    return _BACKTICK_PAIR.sub("`" + WJ, text)


def fence_for(content: str) -> str:
    """A backtick fence longer than any backtick run in `content` (three at least)."""
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    return "`" * max(3, longest + 1)


def _prose_tokens(line: str, on_text: Callable[[str], str], on_url: Callable[[str], str],
                  on_code: Callable[[str], str]) -> str:
    """A line of prose as code spans, URL tokens and the rest, each turned into markup."""
    out: list[str] = []
    pos = 0
    for span in _CODE_SPAN.finditer(line):
        out.append(_text_and_urls(line[pos:span.start()], on_text, on_url))
        out.append(on_code(span.group(1)))
        pos = span.end()
    out.append(_text_and_urls(line[pos:], on_text, on_url))
    return "".join(out)


def _text_and_urls(text: str, on_text: Callable[[str], str], on_url: Callable[[str], str]) -> str:
    out: list[str] = []
    pos = 0
    for match in _URL_TOKEN.finditer(text):
        url, _ = _split_url(match.group(0))  # trailing punctuation stays in the text that follows
        out.append(on_text(text[pos:match.start()]))
        out.append(on_url(url))
        pos = match.start() + len(url)
    out.append(on_text(text[pos:]))
    return "".join(out)


@dataclass(frozen=True)
class Dialect:
    """The neutralisers of one chat dialect."""

    name: str
    bold_mark: str

    # -- per dialect -----------------------------------------------------------------------------
    def escape(self, text: str) -> str:
        """Plain words (no URLs, no code) as inert markup."""
        raise NotImplementedError

    def code_content(self, text: str, links: LinkPolicy) -> str:
        raise NotImplementedError

    def code_span(self, text: str) -> str:
        raise NotImplementedError

    def allowed_url(self, url: str) -> str:
        """An allowed URL in prose (clickable)."""
        raise NotImplementedError

    def link_markup(self, target: str, title: Markup) -> Markup:
        raise NotImplementedError

    def line_start(self, line: str) -> str:
        """A neutralised line whose beginning could still start a block (heading, quote, rule)."""
        return line

    # -- shared ----------------------------------------------------------------------------------
    def _url(self, url: str, links: LinkPolicy) -> str:
        if links.allows(url) and not _NOT_URL_SAFE.search(url):
            return self.allowed_url(url)
        return self.escape(defang(shown_url(url)))

    def _text(self, text: str) -> str:
        return self.escape(defang(text))

    def _line(self, line: str, links: LinkPolicy) -> str:
        line = break_backticks(line)
        return self.line_start(_prose_tokens(line, self._text, lambda u: self._url(u, links), self.code_span))

    def inline(self, text: str, links: LinkPolicy = NO_LINKS, *, one_line: bool = False) -> Markup:
        """Untrusted text inside a line or paragraph of the card: nothing in it is markup."""
        text = clean(text)
        if one_line:
            text = text.replace("\n", " ")
        return Markup("\n".join(self._line(line, links) for line in text.split("\n")))

    def text(self, text: str, links: LinkPolicy = NO_LINKS) -> Markup:
        """Untrusted paragraphs (a card's text, a thread reply): as `inline`, except that fenced code
        blocks stay code blocks, with their content neutralised as code and fences of our own."""
        out: list[str] = []
        code: list[str] | None = None
        info = ""
        for line in clean(text).split("\n"):
            stripped = line.strip()
            if code is not None:
                if _FENCE_ONLY.fullmatch(stripped):
                    out.append(self._block("\n".join(code), info, links))
                    code = None
                else:
                    code.append(line)
                continue
            opened = _FENCE_OPEN.fullmatch(stripped)
            if opened:
                code, info = [], opened.group(1) if opened.group(1).lower() in FENCE_LANGUAGES else ""
                continue
            out.append(self._line(line, links))
        if code is not None:
            out.append(self._block("\n".join(code), info, links))
        return Markup("\n".join(out))

    def _block(self, content: str, info: str, links: LinkPolicy) -> str:
        body = self.code_content(content, links)
        fence = fence_for(body)
        return f"{fence}{info}\n{body}\n{fence}"

    def code_block(self, text: str, links: LinkPolicy = NO_LINKS) -> Markup:
        """Untrusted text shown as a code block it cannot leave."""
        return Markup(self._block(clean(text), "", links))

    def bold(self, text: Markup) -> Markup:
        return Markup(f"{self.bold_mark}{text}{self.bold_mark}") if text else text

    def link(self, url: str | None, title: str, links: LinkPolicy = NO_LINKS) -> Markup:
        """A clickable link when `links` allows `url`; else the title and the URL as text."""
        label = self.inline(title, one_line=True)
        if url and links.allows(url):
            return self.link_markup(link_target(url), label)
        if not url:
            return label
        shown = self.inline(shown_url(url), one_line=True)
        return Markup(f"{label}: {shown}" if label else shown)

    def headline(self, text: str) -> Markup:
        """Untrusted text in the message's own notification text (read as markup on both platforms)."""
        return self.plain(text)

    def plain(self, text: str) -> Markup:
        """Untrusted text where the platform may or may not read Markdown (titles, footers,
        notification text): one line, nothing live, no visible escapes."""
        return Markup(plain(text))


def plain(text: str) -> str:
    """Word joiners only: no mention, no autolink, no link or image syntax, no HTML, no fence, no
    block at the start of the line, and nothing visible added."""
    text = " ".join(clean(text).split("\n"))
    text = defang(break_backticks(text))
    text = _MENTION.sub("@" + WJ, text)
    text = text.replace("<", "<" + WJ).replace("~", "~" + WJ)
    text = re.sub(r"&(?=#|[A-Za-z][A-Za-z0-9]*;)", "&" + WJ, text)
    text = re.sub(r"\](?=[(\[:])", "]" + WJ, text)
    text = re.sub(r"!(?=\[)", "!" + WJ, text)
    return re.sub(r"^(\s*)(?=[#>\[=\-+*_|~`<:!0-9])", lambda m: m.group(1) + WJ, text)


# --- Slack mrkdwn --------------------------------------------------------------------------------

def slack_escape(text: str) -> str:
    """The three characters Slack requires escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class SlackDialect(Dialect):
    name: str = "slack"
    bold_mark: str = "*"

    def escape(self, text: str) -> str:
        text = slack_escape(text).replace("*", "∗").replace("`", "ˋ")
        return _MENTION.sub("@" + WJ, text)

    def code_content(self, text: str, links: LinkPolicy) -> str:
        # Slack links nothing inside code; `<…>` would still be parsed, hence the escaping.
        return slack_escape(_MASS.sub("@" + WJ, break_backticks(text)))

    def code_span(self, text: str) -> str:
        return f"`{self.code_content(text, NO_LINKS)}`"

    def allowed_url(self, url: str) -> str:
        return f"<{slack_escape(link_target(url))}>"

    def link_markup(self, target: str, title: Markup) -> Markup:
        return Markup(f"<{slack_escape(target)}|{title}>" if title else f"<{slack_escape(target)}>")

    def headline(self, text: str) -> Markup:
        return self.inline(text, one_line=True)

    def line_start(self, line: str) -> str:
        # `>` at the start of a line quotes it, also when escaped as `&gt;`
        return re.sub(r"^(\s*)(?=&gt;)", lambda m: m.group(1) + WJ, line)


# --- Mattermost Markdown -------------------------------------------------------------------------

_MD_PUNCTUATION = re.compile(r"([\\`*\[\]<>|&#!])")
# `_` inside a word (`OOM_KILLED`, `shop_a-1`) can neither open nor close emphasis; elsewhere it is escaped.
_MD_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
_MD_RULE_OR_UNDERLINE = re.compile(r"^(\s*)([-=+])(?=[-=+\s]*$)")


@dataclass(frozen=True)
class MattermostDialect(Dialect):
    name: str = "mattermost"
    bold_mark: str = "**"

    def escape(self, text: str) -> str:
        text = _MD_UNDERSCORE.sub(r"\\_", _MD_PUNCTUATION.sub(r"\\\1", text))
        return _MENTION.sub("@" + WJ, text).replace("~", "~" + WJ)

    def code_content(self, text: str, links: LinkPolicy) -> str:
        return _MASS.sub("@" + WJ, break_backticks(text))  # Mattermost links nothing inside code

    def code_span(self, text: str) -> str:
        return f"`{_MASS.sub('@' + WJ, text)}`"

    def allowed_url(self, url: str) -> str:
        # An explicit link, not a bare URL: an autolink would run on into the text after it.
        return self.link_markup(link_target(url), Markup(self.escape(defang(url))))

    def link_markup(self, target: str, title: Markup) -> Markup:
        return Markup(f"[{title or target}]({target})")

    def line_start(self, line: str) -> str:
        return _MD_RULE_OR_UNDERLINE.sub(lambda m: m.group(1) + "\\" + m.group(2), line)


SLACK = SlackDialect()
MATTERMOST = MattermostDialect()


# --- console (rich) ------------------------------------------------------------------------------

def console_text(text: str) -> str:
    """Untrusted text for a rich `Text` (which reads no markup): no control sequences."""
    return clean(text)


def console_markup(text: str) -> str:
    """Untrusted text where rich reads markup (a panel's title): `[...]` escaped."""
    return rich_escape(clean(text))


# --- web (HTML) ----------------------------------------------------------------------------------

def web_text(text: str) -> str:
    """Untrusted text for HTML (the web channel), in an element or a quoted attribute value: cleaned like
    every dialect, then `& < > " '` escaped, so it can open no tag, attribute, script or entity."""
    return html_escape(clean(text), quote=True)


def web_href(url: str | None, links: LinkPolicy) -> str | None:
    """A link target the page may make clickable (escaped for an `href`), or None: only what `links`
    allows, so `javascript:`, `data:` and foreign hosts stay text."""
    return html_escape(link_target(url), quote=True) if url and links.allows(url) else None
