"""/postmortem and `opsbot postmortem summarize`: every section the document has, timeline and action
items with owners, from Markdown, underlined (RST-style) headings and HTML fetched from an allowed host."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from typer.testing import CliRunner

from bot.cli.main import app
from bot.config import load_settings
from bot.events import Command
from handlers.postmortem import FetchError, fetch, handle_command, html_to_text, summarize, summary_card
from tests.fakes.server import FakeServer

DATA = Path(__file__).parent / "data" / "postmortems"
REDIS_PM = DATA / "2025-06-redis-failover.md"
INGRESS_PM = DATA / "2024-02-ingress-outage.md"

WIKI_PAGE = """<html><head><title>x</title><script>var tracking = 1;</script></head><body>
<nav>Home | Spaces</nav>
<h1>DNS outage</h1>
<h2>Summary</h2><p>CoreDNS pods were evicted during a node drain and <b>all lookups</b> failed.</p>
<h2>Timeline</h2>
<table><tr><th>Time</th><th>Event</th></tr><tr><td>10:02</td><td>Drain starts</td></tr>
<tr><td>10:05</td><td>Lookups fail</td></tr></table>
<h2>Action items</h2><ul><li>Add a PodDisruptionBudget for CoreDNS @lena</li></ul>
</body></html>"""


class FakeWiki(FakeServer):
    def routes(self, app: web.Application) -> None:
        async def page(request: web.Request) -> web.Response:
            return web.Response(text=WIKI_PAGE, content_type="text/html")

        async def moved(request: web.Request) -> web.Response:
            raise web.HTTPFound("http://elsewhere.example/")

        app.router.add_get("/pm/dns", page)
        app.router.add_get("/pm/moved", moved)


@pytest.fixture(scope="module")
def wiki() -> Iterator[FakeWiki]:
    with FakeWiki().run_in_thread() as server:
        yield server


def test_markdown_with_front_matter_and_tables() -> None:
    summary = summarize(REDIS_PM.read_text(), source=REDIS_PM.name)
    assert summary.title == "Checkout latency after a Redis failover"
    assert summary.sections == ["what_happened", "impact", "root_cause", "timeline", "action_items"]
    assert summary.impact.startswith("About 4% of checkout requests failed")
    assert "READONLY" in summary.root_cause
    assert [e.when for e in summary.timeline] == ["2025-06-14 02:08", "2025-06-14 02:10", "2025-06-14 02:31",
                                                  "2025-06-14 02:48"]
    assert [a.owner for a in summary.action_items] == ["maria", "sam", None]


def test_underlined_headings_lists_and_owner_phrases() -> None:
    summary = summarize(INGRESS_PM.read_text())
    assert summary.title == "Ingress outage after a controller upgrade"
    assert set(summary.sections) == {"what_happened", "detection", "resolution", "lessons", "action_items"}
    assert summary.resolution == "The previous controller version was rolled back."
    assert len(summary.lessons) == 2
    assert [a.owner for a in summary.action_items] == ["platform team", "Ivan"]


def test_long_sections_are_cut_to_their_budget() -> None:
    text = "# Big\n\n## Summary\n\n" + "A sentence about the outage. " * 200 + "\n\n## Impact\n\nSmall impact."
    summary = summarize(text)
    assert len(summary.what_happened) <= 710 and summary.what_happened.endswith(" …")
    assert summary.impact == "Small impact."  # a long section does not crowd out the next one


def test_card_says_which_sections_the_document_lacks() -> None:
    card = summary_card(summarize(INGRESS_PM.read_text()))
    assert card.kind == "summary" and card.title.startswith("Post-mortem: ")
    assert "Impact" in card.footer and "Timeline" in card.footer
    assert "(owner: Ivan)" in card.text


def test_html_page_from_an_allowed_host(wiki: FakeWiki) -> None:
    text = fetch(f"{wiki.base_url}/pm/dns", ["127.0.0.1"])
    summary = summarize(text)
    assert summary.title == "DNS outage" and "tracking" not in text and "Spaces" not in text
    assert summary.what_happened == "CoreDNS pods were evicted during a node drain and all lookups failed."
    assert [(e.when, e.what) for e in summary.timeline] == [("10:02", "Drain starts"), ("10:05", "Lookups fail")]
    assert summary.action_items[0].owner == "lena"


def test_urls_outside_the_allowlist_and_redirects_are_refused(wiki: FakeWiki) -> None:
    with pytest.raises(FetchError, match="not an allowed post-mortem host"):
        fetch(f"{wiki.base_url}/pm/dns", ["wiki.example.internal"])
    with pytest.raises(FetchError, match="HTTP 302"):
        fetch(f"{wiki.base_url}/pm/moved", ["127.0.0.1"])
    card = handle_command(Command(platform="slack", channel="C1", name="postmortem",
                                  text="https://evil.example/pm"), load_settings())
    assert card.kind == "help" and "not an allowed post-mortem host" in card.summary


def test_command_with_pasted_text_and_cli_json() -> None:
    card = handle_command(Command(platform="mattermost", channel="c", name="postmortem",
                                  text=f"```\n{REDIS_PM.read_text()}\n```"), load_settings())
    assert card.title == "Post-mortem: Checkout latency after a Redis failover"
    result = CliRunner().invoke(app, ["postmortem", "summarize", str(INGRESS_PM), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert set(printed) >= {"title", "what_happened", "impact", "root_cause", "timeline", "action_items", "sections"}
    missing = CliRunner().invoke(app, ["postmortem", "summarize", "/nonexistent.md"])
    assert missing.exit_code == 2 and "no such file" in missing.output


def test_html_to_text_keeps_structure() -> None:
    assert html_to_text("<h2>Impact</h2><p>a <i>b</i></p><ul><li>x</li></ul>").splitlines() == [
        "## Impact", "", "a b", "", "- x"]
