"""`opsbot k8s diagnose --input FILE|-` [--json]: the /k8s diagnosis of saved kubectl output."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import opsbot
from tests.support.paths import TEST_DATA

DATA = TEST_DATA / "k8s"


def test_text_card_from_a_file() -> None:
    result = opsbot("k8s", "diagnose", "--input", str(DATA / "hpa-at-max.txt"))
    assert result.exit_code == 0, result.output
    assert "HPA shop/checkout is at its maximum of 10 replicas" in result.stdout
    assert "kubectl describe hpa -n shop checkout" in result.stdout


def test_json_from_stdin() -> None:
    result = opsbot("k8s", "diagnose", "--input", "-", "--json", input=(DATA / "node-not-ready.txt").read_text())
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["primary"] == "NodeNotReady" and {f["code"] for f in data["findings"]} == {"NodeNotReady",
                                                                                         "NodeDiskPressure"}
    assert data["findings"][0]["quotes"] and data["read"] == ["describe (lines 2-43): node/node-2"]


def test_nothing_recognised_or_no_file_is_a_one_line_error(tmp_path: Path) -> None:
    prose = tmp_path / "notes.txt"
    prose.write_text("the checkout pods look odd today\n")
    result = opsbot("k8s", "diagnose", "--input", str(prose))
    assert result.exit_code == 2 and "nothing in it was recognised as kubectl output" in result.stderr
    missing = opsbot("k8s", "diagnose", "--input", str(tmp_path / "gone.txt"))
    assert missing.exit_code == 2 and "no such file" in missing.stderr
