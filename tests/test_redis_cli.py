"""`opsbot redis diagnose`: JSON on saved output and on a live server, and clear errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from tests.redis_states import client_of, server_in
from tests.servers import Proc, free_port

DATA = Path(__file__).parent / "data" / "redis"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_config_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPSBOT_CONFIG", raising=False)


@pytest.fixture(scope="module")
def keys_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proc]:
    with server_in(tmp_path_factory.mktemp("redis-cli"), "keys", "--slowlog-log-slower-than", "0") as server:
        client = client_of(server)
        client.acl_setuser("diag", enabled=True, passwords=["+pa:ss"], commands=["+@all"], keys=["*"])
        client.mset({f"user:{i}": i for i in range(100)})
        client.keys("user:*")
        client.close()
        yield server


def diagnose(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["redis", "diagnose", *args])
    return result.exit_code, result.stdout, result.stderr


def test_saved_output_to_json() -> None:
    code, out, _ = diagnose("--info", str(DATA / "info-6.2-primary-oom.txt"),
                            "--slowlog", str(DATA / "slowlog-6.2.txt"), "--latency", str(DATA / "latency-6.2.txt"),
                            "--log", str(DATA / "redis-primary.log"),
                            "--symptom", "replication keeps breaking", "--json")
    assert code == 0
    document = json.loads(out)
    assert set(document) == {"primary", "findings"} and document["primary"] == "FULL_RESYNC_LOOP"
    first = document["findings"][0]
    assert set(first) == {"code", "severity", "evidence", "fix", "doc"}
    assert first["code"] == "FULL_RESYNC_LOOP" and first["evidence"]["full_syncs_in_log"] == 6
    assert {f["code"] for f in document["findings"]} >= {"OOM_WRITES_REJECTED", "REPLICA_LAG", "AOF_FSYNC_SLOW"}


def test_slowlog_from_stdin() -> None:
    result = runner.invoke(app, ["redis", "diagnose", "--slowlog", "-", "--json"],
                           input=(DATA / "slowlog-7.0.txt").read_text())
    assert result.exit_code == 0 and json.loads(result.stdout)["primary"] == "KEYS_IN_SLOWLOG"


def test_live_url_with_credentials(keys_server: Proc) -> None:
    url = f"redis://diag:pa%3Ass@127.0.0.1:{keys_server.port}/0"
    code, out, _ = diagnose("--url", url, "--interval", "0.1", "--json")
    assert code == 0, out
    document = json.loads(out)
    assert document["primary"] == "KEYS_IN_SLOWLOG"
    assert document["findings"][0]["evidence"]["patterns"] == ["KEYS user:*"]


def test_live_named_instance_human_output(keys_server: Proc, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSBOT_REDIS_DIAGNOSIS__INSTANCES__cache__URL", keys_server.url)
    code, out, _ = diagnose("--instance", "cache", "--interval", "0")
    assert code == 0
    assert "KEYS_IN_SLOWLOG" in out and "SCAN" in out


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
