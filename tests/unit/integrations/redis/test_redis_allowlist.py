"""Nothing outside the read-only allowlist can be sent to a Redis server, and nothing else is sent."""

from __future__ import annotations

import pytest

from integrations.redis.client import ALLOWED, CommandNotAllowed, ReadOnlyRedis, check_allowed

FORBIDDEN = [
    ("KEYS", "*"), ("FLUSHALL",), ("FLUSHDB", "ASYNC"), ("DEBUG", "SLEEP", "0"), ("DEBUG", "SEGFAULT"),
    ("CONFIG", "SET", "maxmemory", "1"), ("CONFIG", "GET", "*"), ("CONFIG", "GET", "requirepass"),
    ("CONFIG", "GET", "masterauth"), ("CONFIG", "REWRITE"), ("CONFIG", "RESETSTAT"), ("SHUTDOWN",),
    ("CLIENT", "KILL", "TYPE", "normal"), ("CLIENT", "PAUSE", "1000"), ("CLIENT", "LIST", "TYPE", "normal"),
    ("SLOWLOG", "RESET"), ("SLOWLOG", "GET", "10", "extra"), ("SLOWLOG", "GET", "-1"), ("SLOWLOG", "LEN", "1"),
    ("LATENCY", "RESET"), ("LATENCY", "HISTORY", "fork"), ("MEMORY", "PURGE"), ("MEMORY", "USAGE", "k"),
    ("INFO", "all", "garbage"), ("SET", "k", "v"), ("DEL", "k"), ("MONITOR",), ("SCRIPT", "FLUSH"),
    ("ACL", "LIST"), ("ACL", "SETUSER", "x"), ("REPLICAOF", "NO", "ONE"), ("BGSAVE",), ("SAVE",),
    ("EVAL", "return 1", "0"), ("SCAN", "0"), ("ROLE", "x"), ("DBSIZE", "x"), ("MULTI",), ("", ""), (),
]
ALLOWED_CALLS = [
    ("INFO", "all"), ("info",), ("INFO", "memory", "stats"), ("SLOWLOG", "GET", "128"), ("slowlog", "get"),
    ("SLOWLOG", "LEN"), ("LATENCY", "LATEST"), ("LATENCY", "DOCTOR"), ("MEMORY", "STATS"), ("MEMORY", "DOCTOR"),
    ("CLIENT", "LIST"), ("CONFIG", "GET", "maxmemory*"), ("config", "get", "appendfsync"), ("CONFIG", "GET", "save"),
    ("CONFIG", "GET", "repl-backlog-size"), ("CONFIG", "GET", "maxclients"), ("ROLE",), ("DBSIZE",),
]


@pytest.mark.parametrize("args", FORBIDDEN, ids=lambda a: " ".join(a) or "empty")
def test_forbidden_commands_are_refused(args: tuple[str, ...]) -> None:
    with pytest.raises(CommandNotAllowed):
        check_allowed(args)


@pytest.mark.parametrize("args", ALLOWED_CALLS, ids=" ".join)
def test_allowlisted_commands_pass(args: tuple[str, ...]) -> None:
    check_allowed(args)


def test_allowlist_is_exactly_the_documented_set() -> None:
    assert set(ALLOWED) == {
        ("INFO", None), ("SLOWLOG", "GET"), ("SLOWLOG", "LEN"), ("LATENCY", "LATEST"), ("LATENCY", "DOCTOR"),
        ("MEMORY", "STATS"), ("MEMORY", "DOCTOR"), ("CLIENT", "LIST"), ("CONFIG", "GET"), ("ROLE", None),
        ("DBSIZE", None), ("PING", None),
    }


def test_wrapper_exposes_no_raw_client_methods() -> None:
    public = {name for name in dir(ReadOnlyRedis) if not name.startswith("_")}
    assert public == {"execute", "close"}
