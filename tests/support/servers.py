"""Start real servers (redis-server, Valkey, Prometheus, Alertmanager) for tests on free loopback ports.

Each helper is a context manager that starts the process in a temporary directory, waits until it
answers, and stops it (and removes its files) on exit. Also in-process servers on loopback: a stdlib
HTTP handler on a thread (`handler_server`) and a webhook receiver that queues what it is sent
(`webhook_queue`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_binary(name: str) -> str:
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if path is None:
        pytest.skip(f"{name} is not installed (CI installs it from tests/debian-packages.txt)")
    return path


def wait_until(check: Callable[[], bool], timeout: float = 15.0, what: str = "server") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not become ready within {timeout} s")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=1) as resp:
        return bool(resp.status == 200)


def http_json(url: str, payload: Any = None, method: str | None = None) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    req = urllib.request.Request(url, data=data, method=method or ("POST" if data else "GET"),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        body = resp.read()
    return json.loads(body) if body else None


@dataclass
class Proc:
    process: subprocess.Popen[bytes]
    url: str
    port: int
    workdir: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.contextmanager
def _running(cmd: list[str], url: str, port: int, workdir: Path, ready: Callable[[], bool],
             name: str) -> Iterator[Proc]:
    log = open(workdir / f"{name}.log", "wb")  # noqa: SIM115 - closed below, after the process
    proc = Proc(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=workdir), url, port, workdir)
    try:
        wait_until(lambda: proc.process.poll() is None and ready(), what=name)
        yield proc
    except TimeoutError:
        proc.stop()
        log.close()
        raise RuntimeError(f"{name} failed to start:\n{(workdir / f'{name}.log').read_text()[-2000:]}") from None
    finally:
        proc.stop()
        log.close()


def redis_ping(port: int, timeout: float = 1) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(16).startswith(b"+PONG")


@contextlib.contextmanager
def redis_server(workdir: Path, *extra: str) -> Iterator[Proc]:
    """A real Debian redis-server with persistence off."""
    binary = require_binary("redis-server")
    port = free_port()
    cmd = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
           "--dir", str(workdir), *extra]
    with _running(cmd, f"redis://127.0.0.1:{port}/0", port, workdir, lambda: redis_ping(port), "redis") as proc:
        yield proc


@contextlib.contextmanager
def prometheus_server(workdir: Path, config: str, rules: str | None = None) -> Iterator[Proc]:
    """A real Prometheus with the given YAML config (and rule file), fast rule evaluation."""
    binary = require_binary("prometheus")
    port = free_port()
    if rules is not None:
        (workdir / "rules.yml").write_text(rules)
    (workdir / "prometheus.yml").write_text(config)
    cmd = [binary, f"--config.file={workdir / 'prometheus.yml'}", f"--storage.tsdb.path={workdir / 'data'}",
           f"--web.listen-address=127.0.0.1:{port}", "--rules.alert.resend-delay=1s", "--web.enable-lifecycle"]
    url = f"http://127.0.0.1:{port}"
    with _running(cmd, url, port, workdir, lambda: http_ok(f"{url}/-/ready"), "prometheus") as proc:
        yield proc


@contextlib.contextmanager
def alertmanager_server(workdir: Path, webhook_url: str, *, bearer_token: str | None = None,
                        group_wait: str = "0s", group_interval: str = "1s",
                        repeat_interval: str = "4h") -> Iterator[Proc]:
    """A real Alertmanager whose only receiver posts webhooks to `webhook_url`."""
    binary = require_binary("prometheus-alertmanager")
    port = free_port()
    http_config = (f"\n        http_config:\n          authorization:\n            credentials: {bearer_token}"
                   if bearer_token else "")
    (workdir / "alertmanager.yml").write_text(f"""
route:
  receiver: opsbot
  group_by: [alertname, namespace]
  group_wait: {group_wait}
  group_interval: {group_interval}
  repeat_interval: {repeat_interval}
receivers:
  - name: opsbot
    webhook_configs:
      - url: {webhook_url}
        send_resolved: true{http_config}
""")
    cmd = [binary, f"--config.file={workdir / 'alertmanager.yml'}", f"--storage.path={workdir / 'am-data'}",
           f"--web.listen-address=127.0.0.1:{port}", f"--web.external-url=http://127.0.0.1:{port}",
           "--cluster.listen-address="]
    url = f"http://127.0.0.1:{port}"
    with _running(cmd, url, port, workdir, lambda: http_ok(f"{url}/-/ready"), "alertmanager") as proc:
        yield proc


def post_alerts(alertmanager_url: str, alerts: list[dict[str, Any]]) -> None:
    """Push alerts straight into Alertmanager's v2 API (what Prometheus does)."""
    http_json(f"{alertmanager_url}/api/v2/alerts", alerts)


@contextlib.contextmanager
def handler_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """`handler` served by a ThreadingHTTPServer on a free loopback port, on a daemon thread; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.asynccontextmanager
async def webhook_queue(path: str) -> AsyncIterator[tuple[str, asyncio.Queue[bytes]]]:
    """An aiohttp server on a free loopback port that answers POST `path` with "ok" and queues each body
    (what Alertmanager's webhook receiver is sent); yields the webhook's URL and the queue."""
    received: asyncio.Queue[bytes] = asyncio.Queue()

    async def hook(request: web.Request) -> web.Response:
        await received.put(await request.read())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post(path, hook)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        yield f"http://127.0.0.1:{port}{path}", received
    finally:
        await runner.cleanup()
