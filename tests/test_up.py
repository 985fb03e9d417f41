"""`opsbot up` on a laptop: embedded Valkey, web, worker, console cards; Ctrl-C stops it all."""

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


def test_up_runs_everything_and_ctrl_c_stops_it(tmp_path: Path, firing_payload: dict[str, Any]) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSBOT_")}
    env["OPSBOT_WEB__PORT"] = str(port)
    data_dir = tmp_path / "state"
    log_path = tmp_path / "up.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "--data-dir", str(data_dir), "up"], env=env,
                                stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    try:
        wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/readyz"), timeout=30, what="opsbot up")
        request = urllib.request.Request(f"http://127.0.0.1:{port}/webhook/alertmanager",
                                         data=json.dumps(firing_payload).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as resp:
            assert json.loads(resp.read())["status"] == "accepted"
        cards = data_dir / "cards.jsonl"
        wait_until(lambda: cards.exists() and '"action": "post"' in cards.read_text(), timeout=30, what="card")
        assert (data_dir / "valkey" / "appendonlydir").is_dir()
        banner = log_path.read_text()
        valkey_port = int(re.search(r"embedded Valkey redis://127\.0\.0\.1:(\d+)", banner).group(1))  # type: ignore[union-attr]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = log_path.read_text()
    assert "opsbot is up" in output and "opsbot stopped." in output
    assert not _port_open(port)
    assert not _port_open(valkey_port)
