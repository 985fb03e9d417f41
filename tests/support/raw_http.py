"""The real web app on a background thread, and a raw HTTP/1.1 client that sends exactly the bytes it is
given (non-UTF-8 headers, stalled bodies): what a fuzzer or a slowloris client does, which aiohttp's own
client refuses to."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from aiohttp import web

from bot.config import Settings
from bot.web import create_app


@dataclass
class Answer:
    status: int
    body: bytes
    closed: bool  # the server closed the connection


@contextmanager
def app_in_thread(settings: Settings) -> Iterator[int]:
    """The web app (create_app) served on 127.0.0.1 by its own event loop; yields the port."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    state: dict[str, object] = {}

    def serve() -> None:
        asyncio.set_event_loop(loop)

        async def start() -> None:
            runner = web.AppRunner(create_app(settings), access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            state["runner"] = runner
            state["port"] = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

        loop.run_until_complete(start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True, name="opsbot-web")
    thread.start()
    assert ready.wait(20), "the web app did not start"
    try:
        yield int(state["port"])  # type: ignore[call-overload]
    finally:
        runner = state["runner"]
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(20)  # type: ignore[attr-defined]
        loop.call_soon_threadsafe(loop.stop)
        thread.join(20)


def request(port: int, method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes = b"", *,
            content_length: int | None = None, timeout: float = 20.0, host: bytes = b"opsbot.test") -> Answer:
    """One request on a fresh connection (`Connection: close`); the status and body of the answer."""
    length = len(body) if content_length is None else content_length
    head = [f"{method} {path} HTTP/1.1".encode(), b"Host: " + host, b"Connection: close"]
    head += [name + b": " + value for name, value in headers]
    if method != "GET" or body:
        head.append(b"Content-Length: " + str(length).encode())
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(b"\r\n".join(head) + b"\r\n\r\n" + body)
        return _read_answer(conn)


def stalled_request(port: int, path: str, headers: list[tuple[bytes, bytes]], sent: bytes, declared: int,
                    timeout: float) -> tuple[Answer, float]:
    """A body that stops after `sent` of its `declared` bytes and never continues: the answer, and how
    long the server held the connection before answering."""
    head = [f"POST {path} HTTP/1.1".encode(), b"Host: opsbot.test", b"Content-Length: " + str(declared).encode()]
    head += [name + b": " + value for name, value in headers]
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        started = time.monotonic()
        conn.sendall(b"\r\n".join(head) + b"\r\n\r\n" + sent)
        answer = _read_answer(conn)
        return answer, time.monotonic() - started


def _read_answer(conn: socket.socket) -> Answer:
    data = b""
    closed = False
    while True:
        try:
            chunk = conn.recv(65536)
        except TimeoutError:
            break
        if not chunk:
            closed = True
            break
        data += chunk
        head, sep, rest = data.partition(b"\r\n\r\n")
        if sep and b"content-length:" in head.lower():
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            if len(rest) >= length:
                # The whole answer is here; a closed connection shows as EOF on the next read.
                conn.settimeout(2.0)
                try:
                    closed = conn.recv(1) == b""
                except TimeoutError:
                    closed = False
                break
    status_line = data.split(b"\r\n", 1)[0]
    parts = status_line.split()
    status = int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else 0
    return Answer(status=status, body=data.partition(b"\r\n\r\n")[2], closed=closed)
