"""A child server process on a loopback port that `opsbot up` starts and waits for.

Shared by the embedded llama.cpp server and the embedding server: a free port picked once (kept
across restarts, so every URL handed out stays valid), its output in a log file under the data
dir, a readiness URL polled until it answers, and an orderly stop.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import time
from pathlib import Path

import httpx

from bot.child_process import spawn

log = logging.getLogger("opsbot.local_server")


class LocalServerUnavailable(RuntimeError):
    """The server cannot run here or did not become ready; the message says why and where the log is."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalServer:
    """Subclasses give `label`, `command()` and `ready_url`."""

    label = "server"

    def __init__(self, log_path: Path, start_timeout_s: float) -> None:
        self.log_path = log_path
        self.start_timeout_s = start_timeout_s
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The OpenAI-style API root both servers speak."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def ready_url(self) -> str:
        raise NotImplementedError

    def command(self) -> list[str]:
        raise NotImplementedError

    def launch(self) -> subprocess.Popen[bytes]:
        """Start (or restart, on the same port) and wait until ready; returns the process."""
        self.port = self.port or free_port()
        cmd = self.command()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as out:
            # Own session: Ctrl-C reaches `opsbot up` once, and it stops the server in order.
            process = spawn(cmd, stdout=out, stderr=subprocess.STDOUT)
        self.process = process
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise LocalServerUnavailable(f"{self.label} exited with code {process.returncode}; see {self.log_path}")
            if self._ready():
                log.info("%s ready on port %d", self.label, self.port)
                return process
            time.sleep(0.2)
        self.stop()
        raise LocalServerUnavailable(f"{self.label} not ready within {self.start_timeout_s:g} s; see {self.log_path}")

    def _ready(self) -> bool:
        try:
            return httpx.get(self.ready_url, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
