"""`opsbot up` on a laptop: embedded Valkey, web, worker, console cards; Ctrl-C stops it all."""

from __future__ import annotations

import re
import signal
from pathlib import Path
from typing import Any

from tests.support.servers import http_ok, port_open, wait_until
from tests.support.stack import opsbot_up


def test_up_runs_everything_and_ctrl_c_stops_it(tmp_path: Path, firing_payload: dict[str, Any]) -> None:
    with opsbot_up(tmp_path) as up:
        wait_until(lambda: http_ok(f"{up.url}/readyz"), timeout=30, what="opsbot up")
        assert up.post_webhook(firing_payload) == "accepted"
        wait_until(lambda: any(e["action"] == "post" for e in up.card_events()), timeout=30, what="card")
        assert http_ok(f"{up.url}/web")  # the web channel is on by default, on loopback
        assert (up.data_dir / "valkey" / "appendonlydir").is_dir()
        banner = up.log_path.read_text()
        valkey_port = int(re.search(r"embedded Valkey redis://127\.0\.0\.1:(\d+)", banner).group(1))  # type: ignore[union-attr]
        up.proc.send_signal(signal.SIGINT)
        assert up.proc.wait(timeout=30) == 0
    output = up.log_path.read_text()
    assert "opsbot is up" in output and "opsbot stopped." in output
    assert not port_open(up.port)
    assert not port_open(valkey_port)
