"""Nothing outside the read-only allowlist reaches a real redis-server (seen through a recording proxy)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from integrations.redis.client import CommandNotAllowed, ReadOnlyRedis, check_allowed
from integrations.redis.collector import collect
from integrations.redis.config import RedisInstance
from tests.support.redis_proxy import RecordingProxy, recording_proxy
from tests.support.servers import redis_server


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[RecordingProxy]:
    with redis_server(tmp_path) as server, recording_proxy(server.port) as proxy:
        yield proxy


def wait_for(proxy: RecordingProxy, count: int) -> list[list[str]]:
    deadline = time.monotonic() + 5
    while len(proxy.commands()) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)  # anything sent after the last expected command would show up too
    return proxy.commands()


def test_refused_commands_never_reach_the_server(proxied: RecordingProxy) -> None:
    with ReadOnlyRedis(RedisInstance(url=proxied.url)) as conn:
        for args in [("KEYS", "*"), ("FLUSHALL",), ("CONFIG", "SET", "maxmemory", "1"), ("DEBUG", "SLEEP", "0"),
                     ("CONFIG", "GET", "*"), ("SLOWLOG", "RESET"), ("CLIENT", "KILL", "TYPE", "normal")]:
            with pytest.raises(CommandNotAllowed):
                conn.execute(*args)
        assert conn.execute("DBSIZE") == 0
    assert wait_for(proxied, 1) == [["DBSIZE"]]  # no handshake either (no CLIENT SETINFO, no HELLO)


def test_a_full_live_collection_sends_only_allowlisted_commands(proxied: RecordingProxy) -> None:
    snapshot = collect(RedisInstance(url=proxied.url), interval_s=0.1)
    assert snapshot.errors == {} and snapshot.info_later
    seen = wait_for(proxied, 16)
    for args in seen:
        check_allowed(args)  # every command with its arguments
    assert [args[0].upper() for args in seen].count("INFO") == 2  # two samples
    assert {tuple(a.upper() for a in args[:2]) for args in seen if len(args) > 1 and args[0].upper() != "INFO"} == {
        ("SLOWLOG", "GET"), ("SLOWLOG", "LEN"), ("LATENCY", "LATEST"), ("LATENCY", "DOCTOR"), ("MEMORY", "STATS"),
        ("MEMORY", "DOCTOR"), ("CLIENT", "LIST"), ("CONFIG", "GET")}


def test_the_recording_proxy_does_see_forbidden_commands(proxied: RecordingProxy) -> None:
    # Guard against a blind proxy: a plain client's CONFIG SET and KEYS do show up.
    client = redis.Redis.from_url(proxied.url, lib_name=None, lib_version=None)
    client.keys("*")
    client.config_set("maxmemory", "0")
    client.close()
    assert ["KEYS", "*"] in wait_for(proxied, 2) and ["CONFIG", "SET", "maxmemory", "0"] in proxied.commands()
