"""The web channel's pure parts: the HTML renderer escapes every untrusted string and links only what
the policy allows, the command box parses like chat, loopback detection, the Markdown renderer."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import pytest

from bot.web_channel.auth import is_loopback
from bot.web_channel.routes import command_of
from core.cards import Button, Card, CardField, CardKind, CardStatus, Image, Link
from core.events import Command, Mention
from core.models import Citation, Finding, Fix, Severity, Step, Unavailable
from integrations.neutralise import LinkPolicy
from integrations.webchat.markdown import card_markdown
from integrations.webchat.render import card_body, render_post
from integrations.webchat.store import ThreadEntry, WebPost

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">\'"&'
SAFE_TAGS = {"article", "span", "header", "p", "div", "dl", "dt", "dd", "section", "ul", "li", "b", "h4", "pre", "code",
             "a", "figure", "img", "figcaption", "nav", "button", "footer", "details", "summary", "form", "input"}
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 32).decode()


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


def _hostile_card() -> Card:
    return Card(kind=CardKind.triage, status=CardStatus.firing, severity=Severity.critical, title=HOSTILE,
                summary=HOSTILE, text=HOSTILE, fields=[CardField(name=HOSTILE, value=HOSTILE)],
                findings=[Finding(code=HOSTILE, title=HOSTILE, explanation=HOSTILE)], evidence=HOSTILE,
                steps=[Step(command=HOSTILE, why=HOSTILE)], fixes=[Fix(command=HOSTILE, caution=HOSTILE)],
                citations=[Citation(source=HOSTILE, title=HOSTILE, url="javascript:alert(3)")],
                links=[Link(title=HOSTILE, url="javascript:alert(4)"),
                       Link(title="ok", url="https://grafana.example/d")],
                images=[Image(title=HOSTILE, url="javascript:alert(5)"),
                        Image(title="graph", url=f"data:image/png;base64,{PNG}")],
                buttons=[Button(action=HOSTILE, label=HOSTILE, value=HOSTILE)],
                unavailable=[Unavailable(source=HOSTILE, reason=HOSTILE)], footer=HOSTILE)


def test_every_untrusted_string_is_escaped_and_only_allowed_links_are_links() -> None:
    post = WebPost(id='x"><script>', channel=HOSTILE, card=_hostile_card(), posted_at=0, updated_at=0)
    html = render_post(post, [ThreadEntry(at=0, user=HOSTILE, text=HOSTILE)], {},
                       LinkPolicy.of(["grafana.example"]))
    parsed = _Tags()
    parsed.feed(html)
    assert parsed.tags <= SAFE_TAGS  # no script, iframe, object, style …
    assert not [name for name in parsed.attributes if name.startswith("on") or name == "style"]
    assert re.findall(r'href="([^"]*)"', html) == ["https://grafana.example/d"]
    assert re.findall(r'<img [^>]*src="([^"]*)"', html) == [f"data:image/png;base64,{PNG}"]
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 15


def test_image_that_is_not_a_png_data_url_is_not_shown() -> None:
    card = Card(kind=CardKind.triage, status=CardStatus.firing, title="t",
                images=[Image(title="a", url="data:image/png;base64," + base64.b64encode(b"GIF89a").decode()),
                        Image(title="b", url="https://example.com/x.png")])
    assert "<img" not in card_body(card)


@pytest.mark.parametrize(("text", "name", "body"), [
    ("/ceph\nHEALTH_WARN 1 osds down\n[WRN] OSD_DOWN", "ceph", "HEALTH_WARN 1 osds down\n[WRN] OSD_DOWN"),
    ("/ask why is it slow?", "ask", "why is it slow?"),
    ("/oncall config\nreceivers: {}", "oncall", "config\nreceivers: {}"),
])
def test_command_box_parses_like_chat(text: str, name: str, body: str) -> None:
    event = command_of(text, "oncall", "web")
    assert isinstance(event, Command) and event.platform == "web"
    assert (event.name, event.text) == (name, body)


def test_plain_text_is_read_like_a_mention() -> None:
    assert isinstance(command_of("what does OSD_DOWN mean?", "oncall", "web"), Mention)


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("::1", True), ("localhost", True),
                                                 ("127.0.0.53", True), ("0.0.0.0", False), ("10.1.2.3", False),
                                                 ("opsbot.example.internal", False)])
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_markdown_answer_escapes_and_links_allowed_citations() -> None:
    card = Card(kind=CardKind.answer, status=CardStatus.done, title="how?", text="see [x](javascript:1) @channel",
                citations=[Citation(source="wiki", title="Runbook", section="OSD down",
                                    url="https://wiki.example/osd")])
    md = card_markdown(card, LinkPolicy.of(["wiki.example"]))
    assert "[Runbook › OSD down](https://wiki.example/osd)" in md
    assert "](javascript:" not in md and "@channel" not in md
