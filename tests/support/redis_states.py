"""Drive real redis-server processes into the states the Redis diagnosis must recognise.

Test-harness code: it may send any command (DEBUG, CONFIG SET, BLPOP...). The bot never does.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import redis

from integrations.redis.config import RedisInstance
from tests.support.servers import Proc, redis_ping, redis_server, require_binary, wait_until


def instance_of(server: Proc) -> RedisInstance:
    return RedisInstance(url=server.url, timeout_s=2.0)


def client_of(server: Proc) -> redis.Redis:
    return redis.Redis(port=server.port, socket_timeout=10)


def info(server: Proc, section: str = "all") -> dict[str, Any]:
    with client_of(server) as client:
        return dict(client.info(section))


@contextlib.contextmanager
def server_in(workdir: Path, name: str, *args: str) -> Iterator[Proc]:
    """A redis-server in its own subdirectory (each writes redis.log into its workdir)."""
    folder = workdir / name
    folder.mkdir(parents=True, exist_ok=True)
    with redis_server(folder, *args) as server:
        yield server


def fill_hash(client: redis.Redis, key: str, fields: int, chunk: int = 2000) -> None:
    for start in range(0, fields, chunk):
        mapping = {f"f{i}": f"value-{i}" for i in range(start, min(fields, start + chunk))}
        client.hset(key, mapping=mapping)


@contextlib.contextmanager
def running(action: Callable[[], object], duration_s: float) -> Iterator[None]:
    """Repeat `action` in a thread for up to `duration_s` (until the block exits)."""
    stop = threading.Event()

    def loop() -> None:
        deadline = time.monotonic() + duration_s
        while not stop.is_set() and time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError, OSError):
                action()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=duration_s + 5)


@contextlib.contextmanager
def blocked_clients(server: Proc, count: int, key: str = "jobs:queue") -> Iterator[list[socket.socket]]:
    """`count` raw connections blocked in BLPOP until the block exits."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sock.sendall(f"BLPOP {key} 30\r\n".encode())
            socks.append(sock)
        wait_until(lambda: info(server, "clients")["blocked_clients"] == count, what="blocked clients")
        yield socks
    finally:
        for sock in socks:
            sock.close()


def try_connect(port: int) -> bool:
    """Open a connection and send PING; False when the server refused it (maxclients)."""
    return redis_ping(port, timeout=2)


@contextlib.contextmanager
def primary_with_replica(workdir: Path) -> Iterator[tuple[Proc, Proc]]:
    with server_in(workdir, "primary", "--repl-diskless-sync-delay", "0") as primary, \
            server_in(workdir, "replica", "--replicaof", "127.0.0.1", str(primary.port)) as replica:
        wait_until(lambda: info(replica, "replication")["master_link_status"] == "up", what="replication link")
        wait_until(lambda: info(primary, "replication").get("slave0", {}).get("state") == "online",
                   what="replica online")
        yield primary, replica


@contextlib.contextmanager
def paused(server: Proc) -> Iterator[None]:
    """SIGSTOP the process (it stops acknowledging replication), SIGCONT on exit."""
    server.process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        server.process.send_signal(signal.SIGCONT)


def make_tls_files(folder: Path) -> dict[str, Path]:
    """A throwaway CA, a server certificate for 127.0.0.1 and a client certificate (openssl CLI)."""
    binary = require_binary("openssl")
    folder.mkdir(parents=True, exist_ok=True)

    def run(*args: str) -> None:
        subprocess.run([binary, *args], cwd=folder, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=opsbot test CA",
        "-keyout", "ca.key", "-out", "ca.crt")
    for name in ("server", "client"):
        run("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", f"{name}.key",
            "-out", f"{name}.csr")
        (folder / f"{name}.ext").write_text("subjectAltName=IP:127.0.0.1\n")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.crt")
    return {name: folder / name for name in ("ca.crt", "server.crt", "server.key", "client.crt", "client.key")}
