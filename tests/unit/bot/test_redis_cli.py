"""`opsbot redis diagnose`: JSON on saved output, and clear errors. On a live server:
tests/integration/test_redis_cli.py."""

from __future__ import annotations

import json

import pytest

from tests.support.cli import opsbot
from tests.support.cli import redis_diagnose as diagnose
from tests.support.paths import TEST_DATA
from tests.support.servers import free_port

DATA = TEST_DATA / "redis"
pytestmark = pytest.mark.usefixtures("without_opsbot_config")


def test_saved_output_to_json() -> None:
    code, out, _ = diagnose("--info", str(DATA / "info-6.2-primary-oom.txt"),
                            "--slowlog", str(DATA / "slowlog-6.2.txt"), "--latency", str(DATA / "latency-6.2.txt"),
                            "--log", str(DATA / "redis-primary.log"),
                            "--symptom", "replication keeps breaking", "--json")
    assert code == 0
    document = json.loads(out)
    assert document["primary"] == "FULL_RESYNC_LOOP" and document["symptom"] == "replication keeps breaking"
    assert document["summary"].startswith("Fix: ")
    first = document["findings"][0]
    assert {"code", "severity", "evidence", "evidence_fields", "fix", "doc", "steps", "fixes", "cautions"} <= set(first)
    assert first["code"] == "FULL_RESYNC_LOOP" and first["evidence"]["full_syncs_in_log"] == 6
    assert {f["code"] for f in document["findings"]} >= {"OOM_WRITES_REJECTED", "REPLICA_LAG", "AOF_FSYNC_SLOW"}


def test_slowlog_from_stdin() -> None:
    result = opsbot("redis", "diagnose", "--slowlog", "-", "--json", input=(DATA / "slowlog-7.0.txt").read_text())
    assert result.exit_code == 0 and json.loads(result.stdout)["primary"] == "KEYS_IN_SLOWLOG"


@pytest.mark.parametrize(("args", "message"), [
    ((), "give exactly one of"),
    (("--url", "redis://x", "--info", "f"), "give exactly one of"),
    (("--info", "/nonexistent/info.txt"), "no such file"),
    (("--slowlog", str(DATA / "info-7.0-primary.txt")), "not SLOWLOG GET output"),
    (("--info", str(DATA / "slowlog-6.2.txt")), "no INFO fields found"),
    (("--log", str(DATA / "info-7.0-primary.txt")), "no Redis log lines found"),
    (("--url", "http://localhost:6379"), "expected a redis://"),
    (("--instance", "nope"), "unknown Redis instance 'nope'"),
])
def test_bad_input_is_one_line_and_exit_2(args: tuple[str, ...], message: str) -> None:
    code, out, err = diagnose(*args)
    assert code == 2 and err.startswith("opsbot: ") and message in err and "Traceback" not in err + out


def test_unreachable_url_hides_the_password() -> None:
    code, _, err = diagnose("--url", f"redis://u:topsecret@127.0.0.1:{free_port()}/0", "--json")
    assert code == 2 and "cannot reach Redis redis://u:***@127.0.0.1" in err and "topsecret" not in err
