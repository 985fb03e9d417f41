"""The board and status pages: server-rendered HTML, the vendored script and stylesheet by URL.

No inline script or style (the CSP forbids both); the only values a page carries for its script are
the CSRF token and the stream position, in `<meta>` tags, escaped.
"""

from __future__ import annotations

from collections.abc import Iterable

from integrations.neutralise import web_text

# What the page may load: its own script, stylesheet and the PNG graphs inline; nothing else.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY", "Cache-Control": "no-store"}
STATUSES = ("firing", "resolved", "working", "done", "degraded")
SEVERITIES = ("critical", "error", "warning", "info")


def _options(name: str, values: Iterable[str]) -> str:
    options = "".join(f'<option value="{web_text(v)}">{web_text(v)}</option>' for v in values)
    return f'<label>{name} <select data-filter="{name}"><option value="">all</option>{options}</select></label>'


def _shell(title: str, csrf: str, body: str, since: str = "") -> str:
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{web_text(title)}</title>"
            f'<meta name="csrf-token" content="{web_text(csrf)}"><meta name="stream-since" content="{web_text(since)}">'
            '<link rel="stylesheet" href="/web/static/board.css"><script src="/web/static/board.js" defer></script>'
            f"</head><body>{body}</body></html>")


def board_page(cards: list[tuple[str, str, str]], channels: Iterable[str], default_channel: str, csrf: str,
               since: str) -> str:
    """`cards`: (kind, channel, html) newest first; triage cards on the board, the rest under Answers."""
    channel_list = sorted(set(channels) | {default_channel})
    incidents = "".join(html for kind, _, html in cards if kind == "triage")
    answers = "".join(html for kind, _, html in cards if kind != "triage")
    chosen = "".join(f'<option value="{web_text(c)}"{" selected" if c == default_channel else ""}>'
                     f"#{web_text(c)}</option>" for c in channel_list)
    body = ('<header class="top"><h1>opsbot</h1><nav><a href="/web">board</a> · <a href="/web/status">status</a>'
            '</nav><span id="live" class="live">connecting…</span></header>'
            '<form id="command" class="command"><textarea name="text" rows="3" spellcheck="false" '
            'placeholder="/ask how do I … · /logs 5xx for api in the last hour · /ceph + pasted ceph health detail · '
            '/redis + pasted INFO · /postmortem TEXT · /oncall config + pasted YAML · /oncall help"></textarea>'
            f'<div class="row"><select name="channel">{chosen}</select><button type="submit">Send</button>'
            '<span id="command-status" class="hint"></span></div></form>'
            f'<div class="filters">{_options("status", STATUSES)}{_options("severity", SEVERITIES)}'
            f'{_options("channel", channel_list)}</div>'
            f'<main><section><h2>Incidents</h2><div id="incidents" class="cards">{incidents}</div></section>'
            f'<section><h2>Answers</h2><div id="answers" class="cards">{answers}</div></section></main>')
    return _shell("opsbot board", csrf, body, since)


def status_page(rows: list[tuple[str, str, str]], csrf: str) -> str:
    """`rows`: (component, state, detail)."""
    table = "".join(f'<tr class="state-{web_text(state)}"><td>{web_text(name)}</td><td>{web_text(state)}</td>'
                    f"<td>{web_text(detail)}</td></tr>" for name, state, detail in rows)
    body = ('<header class="top"><h1>opsbot</h1><nav><a href="/web">board</a> · <a href="/web/status">status</a>'
            f'</nav></header><main class="status"><table><tr><th>component</th><th>state</th><th>detail</th></tr>'
            f"{table}</table></main>")
    return _shell("opsbot status", csrf, body)


def login_page(message: str) -> str:
    body = (f'<main class="login"><h1>opsbot</h1><p>{web_text(message)}</p>'
            '<form method="get" action="/web/login"><input type="password" name="token" placeholder="token" '
            'autocomplete="current-password"><button type="submit">Log in</button></form></main>')
    return _shell("opsbot login", "", body)
