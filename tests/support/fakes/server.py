"""An aiohttp server on a background thread that records requests and can inject failures."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import web

BODY: web.RequestKey[Any] = web.RequestKey("body", object)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    received_at: float = field(default_factory=time.time)


@dataclass
class Failure:
    """Answer the next `times` requests whose path ends with `path_suffix` (and whose body contains
    `body_contains`, when given) with this response."""

    path_suffix: str
    status: int
    body: Any
    headers: dict[str, str]
    times: int
    body_contains: str | None = None

    def matches(self, path: str, body: Any) -> bool:
        return path.endswith(self.path_suffix) and (
            self.body_contains is None or self.body_contains in json.dumps(body, ensure_ascii=False))


class FakeServer:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._failures: list[Failure] = []
        self._lock = threading.Lock()
        self.base_url = ""

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def fail_next(self, path_suffix: str, status: int, body: Any = None, headers: dict[str, str] | None = None,
                  times: int = 1, body_contains: str | None = None) -> None:
        with self._lock:
            self._failures.append(Failure(path_suffix, status, body, headers or {}, times, body_contains))

    def requests_to(self, path_suffix: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith(path_suffix)]

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        raw = await request.read()
        if request.content_type == "application/json" and raw:
            body: Any = json.loads(raw)
        elif request.content_type == "application/x-www-form-urlencoded":
            try:
                body = dict(await request.post())
            except UnicodeDecodeError:  # raw bytes without a media type (slack_sdk's file upload)
                body = raw.decode(errors="replace")
        else:
            body = raw.decode(errors="replace")
        request[BODY] = body
        with self._lock:
            self.requests.append(Recorded(request.method, request.path, dict(request.headers), body))
            failure = next((f for f in self._failures if f.matches(request.path, body)), None)
            if failure:
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
        if failure:
            text = failure.body if isinstance(failure.body, str) else json.dumps(failure.body)
            content_type = "text/plain" if isinstance(failure.body, str) else "application/json"
            return web.Response(status=failure.status, text=text, headers=failure.headers, content_type=content_type)
        return await handler(request)

    @contextmanager
    def run_in_thread(self) -> Iterator[Self]:
        loop = asyncio.new_event_loop()
        app = web.Application(middlewares=[self._record])
        self.routes(app)
        runner = web.AppRunner(app, access_log=None)
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            self.base_url = f"http://127.0.0.1:{port}"
            ready.set()
            loop.run_forever()

        thread = threading.Thread(target=serve, daemon=True, name=type(self).__name__)
        thread.start()
        ready.wait(10)
        try:
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)


def json_response(data: Any, status: int = 200) -> web.Response:
    # Exactly `application/json`, no charset, as Mattermost sends it: mattermostdriver compares the
    # header verbatim and returns the raw response object for anything else.
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"})
