"""`GET /knowledge/<source>`: bundled and configured documents as pages with heading anchors, nothing else."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.config import load_settings
from bot.knowledge_routes import add_knowledge_routes


def _app(folder: Path) -> web.Application:
    settings = load_settings(knowledge={"folders": [{"path": str(folder), "doc_type": "runbook"}]})
    app = web.Application()
    add_knowledge_routes(app, settings)
    return app


async def test_a_bundled_runbook_is_a_page_with_anchors(tmp_path: Path) -> None:
    async with TestClient(TestServer(_app(tmp_path))) as client:
        resp = await client.get("/knowledge/pod-crash-looping.md")
        assert resp.status == 200 and resp.content_type == "text/html"
        page = await resp.text()
        assert '<h2 id="first-checks">First checks</h2>' in page
        assert "kubectl -n {namespace} logs {pod} -c {container} --previous" in page
        assert "default-src 'none'" in resp.headers["Content-Security-Policy"]


async def test_a_configured_folder_is_served_and_raw_html_is_not(tmp_path: Path) -> None:
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "disk.md").write_text("# Disk\n\n<script>alert(1)</script>\n\n## Fix it\n\nsteps\n")
    (tmp_path / "notes.txt").write_text("not a document")
    async with TestClient(TestServer(_app(tmp_path))) as client:
        page = await (await client.get("/knowledge/team/disk.md")).text()
        assert '<h2 id="fix-it">' in page and "<script>" not in page
        for path in ("/knowledge/notes.txt", "/knowledge/../../etc/passwd", "/knowledge/%2e%2e/README.md",
                     "/knowledge/missing.md"):
            assert (await client.get(path)).status == 404, path
