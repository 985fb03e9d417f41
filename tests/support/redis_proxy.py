"""A recording TCP proxy in front of a real redis-server: every byte a client sends is kept, so a test
can list exactly which commands reached the server (MONITOR hides admin commands such as CONFIG)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator


class RecordingProxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self._sent = bytearray()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._socks: list[socket.socket] = []
        self._accept = threading.Thread(target=self._serve, daemon=True)
        self._accept.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def commands(self) -> list[list[str]]:
        with self._lock:
            return parse_requests(bytes(self._sent))

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self._socks += [client, upstream]
            for src, dst, record in ((client, upstream, True), (upstream, client, False)):
                thread = threading.Thread(target=self._pump, args=(src, dst, record), daemon=True)
                thread.start()
                self._threads.append(thread)

    def _pump(self, src: socket.socket, dst: socket.socket, record: bool) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                if record:
                    with self._lock:
                        self._sent += data
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.listener.close()
        for sock in self._socks:
            sock.close()


def parse_requests(data: bytes) -> list[list[str]]:
    """Client requests in RESP (arrays of bulk strings) or inline form, as lists of words."""
    commands, pos = [], 0
    while pos < len(data):
        end = data.index(b"\r\n", pos)
        if data[pos:pos + 1] != b"*":  # inline command
            commands.append(data[pos:end].decode(errors="replace").split())
            pos = end + 2
            continue
        count, pos = int(data[pos + 1:end]), end + 2
        args = []
        for _ in range(count):
            end = data.index(b"\r\n", pos)
            length = int(data[pos + 1:end])
            args.append(data[end + 2:end + 2 + length].decode(errors="replace"))
            pos = end + 2 + length + 2
        commands.append(args)
    return commands


@contextlib.contextmanager
def recording_proxy(target_port: int) -> Iterator[RecordingProxy]:
    proxy = RecordingProxy(target_port)
    try:
        yield proxy
    finally:
        proxy.close()
