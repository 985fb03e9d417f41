"""`opsbot ceph diagnose` run as a process: JSON from saved files and stdin, one-line errors, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.ceph_health import as_text, many_checks
from tests.support.paths import TEST_DATA
from tests.support.stack import REPO

DATA = TEST_DATA / "ceph"
pytestmark = pytest.mark.usefixtures("without_opsbot_env")


def _cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("OPSBOT_")}
    return subprocess.run([sys.executable, "-m", "bot", "ceph", "diagnose", *args], env={**base, **(env or {})},
                          capture_output=True, text=True, cwd=REPO, timeout=60, input=stdin)


@pytest.mark.parametrize("name", ["health-detail-osd-down.txt", "health-detail-osd-down.json",
                                  "status-osd-down.txt", "status-osd-down.json"])
def test_cli_json_from_files(name: str) -> None:
    result = _cli("--input", str(DATA / name), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["status"] == "HEALTH_WARN" and data["primary"] == "OSD_DOWN"
    first = data["checks"][0]
    assert first["code"] == "OSD_DOWN" and first["section"]["url"].endswith("#osd-down")
    assert "ceph osd tree" in first["commands"] and first["cautions"]
    muted = [c["code"] for c in data["checks"] if c["muted"]]
    assert muted == ["OSD_NO_DOWN_OUT_INTERVAL"]


def test_cli_stdin_and_text_output() -> None:
    result = _cli("--input", "-", stdin=as_text(many_checks()))
    assert result.returncode == 0, result.stderr
    assert "PG_AVAILABILITY" in result.stdout and "ceph pg 3.7 query" in result.stdout


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["--input", "-"], "nothing to see", "no `ceph health detail` or `ceph -s` output found"),
    (["--input", "/nonexistent/file"], None, "/nonexistent/file: no such file"),
    (["--input", "-", "--cluster", "x"], "", "either --input"),
    (["--json"], None, "no default Ceph cluster"),
])
def test_cli_errors_are_one_line(args: list[str], stdin: str | None, message: str) -> None:
    result = _cli(*args, stdin=stdin)
    assert result.returncode == 2
    assert result.stderr.startswith("opsbot: ") and message in result.stderr and "Traceback" not in result.stderr


def test_cli_live_cluster_unreachable_is_a_clean_error(tmp_path: Path) -> None:
    env = {"OPSBOT_CEPH__CLUSTERS": json.dumps({"lab": {"ceph_binary": str(tmp_path / "missing-ceph")}})}
    result = _cli("--cluster", "lab", env=env)
    assert result.returncode == 2 and "cannot read Ceph cluster lab" in result.stderr
