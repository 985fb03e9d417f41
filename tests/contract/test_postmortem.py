"""/postmortem fetching HTML from a wiki (a fake HTTP server): allowed hosts only, no redirects."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiohttp import web

from bot.config import load_settings
from core.events import Command
from handlers.postmortem import FetchError, fetch, handle_command, summarize
from tests.support.fakes.server import FakeServer

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
