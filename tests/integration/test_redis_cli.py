"""`opsbot redis diagnose` on a live redis-server: a URL with credentials and a named instance."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.support.cli import redis_diagnose as diagnose
from tests.support.redis_states import client_of, server_in
from tests.support.servers import Proc

pytestmark = pytest.mark.usefixtures("without_opsbot_config")


@pytest.fixture(scope="module")
def keys_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proc]:
    with server_in(tmp_path_factory.mktemp("redis-cli"), "keys", "--slowlog-log-slower-than", "0") as server:
        client = client_of(server)
        client.acl_setuser("diag", enabled=True, passwords=["+pa:ss"], commands=["+@all"], keys=["*"])
        client.mset({f"user:{i}": i for i in range(100)})
        client.keys("user:*")
        client.close()
        yield server


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
