"""The mgr `restful` transport against a contract fake of POST /request?wait=1.

The real module cannot load in a mgr that also has the Dashboard's Python extensions installed
(PyO3 initialises once per process), so this transport is tested against its documented wire format:
basic auth with a key name and key, the mon command JSON in the body, results under `finished`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

import pytest

from integrations.ceph.allowlist import CommandRefused, check_command
from integrations.ceph.config import CephCluster
from integrations.ceph.transports import CephUnavailable, RestfulTransport, collect
from tests.support.paths import TEST_DATA
from tests.support.servers import handler_server

DATA = TEST_DATA / "ceph"
KEY = "0f1e2d3c-opsbot-key"


class _Restful(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, *args: Any) -> None:  # keep pytest output clean
        pass

    def do_POST(self) -> None:
        auth = self.headers.get("Authorization", "")
        if auth != "Basic " + base64.b64encode(f"opsbot:{KEY}".encode()).decode():
            self.send_response(401)
            self.end_headers()
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Restful.received.append({"path": self.path, **body})
        outputs = {"health": DATA / "health-detail-osd-down.json", "status": DATA / "status-osd-down.json"}
        source = outputs.get(body["prefix"])
        result: dict[str, Any] = {"has_failed": source is None, "is_finished": True, "state": "success",
                                  "finished": [], "failed": []}
        if source is None:
            result["failed"] = [{"command": body, "outb": "", "outs": "unknown command"}]
        else:
            result["finished"] = [{"command": body, "outb": source.read_text(), "outs": ""}]
        payload = json.dumps(result).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def restful_url() -> Iterator[str]:
    _Restful.received = []
    with handler_server(_Restful) as url:
        yield url


def _cluster(url: str, key: str = KEY) -> CephCluster:
    return CephCluster(transport="restful", url=url, username="opsbot", password=key)


def test_collect_sends_mon_command_json(restful_url: str) -> None:
    snapshot = collect(_cluster(restful_url), name="prod")
    assert snapshot.transport == "restful" and snapshot.health.check("OSD_DOWN") is not None
    assert snapshot.context is not None and snapshot.context.osds_up == 2
    assert _Restful.received == [
        {"path": "/request?wait=1", "prefix": "health", "detail": "detail", "format": "json"},
        {"path": "/request?wait=1", "prefix": "status", "format": "json"},
    ]


def test_failures_and_refusals(restful_url: str) -> None:
    transport = RestfulTransport(_cluster(restful_url))
    with pytest.raises(CephUnavailable, match="unknown command"):
        transport.run(check_command("osd tree"))
    with pytest.raises(CommandRefused):
        transport.run(check_command("pg 2.1 query"))  # not a mon command: never sent
    with pytest.raises(CommandRefused):
        transport.run(check_command("osd out 1"))
    assert [r["prefix"] for r in _Restful.received] == ["osd tree"]
    with pytest.raises(CephUnavailable, match="HTTP 401"):
        RestfulTransport(_cluster(restful_url, key="wrong")).run(check_command("status"))
