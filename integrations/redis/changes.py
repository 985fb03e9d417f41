"""The Redis commands a documented fix may suggest: changes a human runs, never sent by opsbot.

`ReadOnlyRedis` sends only `client.ALLOWED`; this table is for what a card shows as a fix. A fix must
be a command Redis knows with the arguments it takes, and a destructive one (data deleted, clients cut
off, roles switched) must carry a caution on the card.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from integrations.redis.client import CommandNotAllowed

# CONFIG SET parameters a fix may change (the ones the diagnosis has findings about).
CONFIG_SET_PARAMS = frozenset({
    "maxmemory", "maxmemory-policy", "maxmemory-samples", "activedefrag", "active-defrag-threshold-lower",
    "active-defrag-ignore-bytes", "repl-backlog-size", "repl-backlog-ttl", "repl-timeout",
    "client-output-buffer-limit", "appendfsync", "no-appendfsync-on-rewrite", "appendonly", "save",
    "stop-writes-on-bgsave-error", "maxclients", "timeout", "tcp-keepalive", "slowlog-log-slower-than",
    "slowlog-max-len", "latency-monitor-threshold", "lazyfree-lazy-eviction", "lazyfree-lazy-expire",
    "lazyfree-lazy-server-del", "lazyfree-lazy-user-del", "replica-lazy-flush", "repl-diskless-sync",
    "repl-diskless-sync-delay", "min-replicas-to-write", "min-replicas-max-lag", "masterauth", "masteruser",
    "active-expire-effort", "hz", "dynamic-hz", "rdb-key-save-delay", "replica-read-only", "dir",
})
_VALUE = re.compile(r"^[\w.%:*/ -]{1,64}$")


def _config_set(rest: list[str]) -> bool:
    if not rest or len(rest) % 2:
        return False
    return all(rest[i].lower() in CONFIG_SET_PARAMS and _VALUE.match(rest[i + 1]) for i in range(0, len(rest), 2))


def _keys(rest: list[str]) -> bool:
    return bool(rest) and all(0 < len(k) <= 256 for k in rest)


def _none(rest: list[str]) -> bool:
    return not rest


def _replicaof(rest: list[str]) -> bool:
    return [w.upper() for w in rest] == ["NO", "ONE"] or (len(rest) == 2 and rest[1].isdigit())


def _client_kill(rest: list[str]) -> bool:
    filters = {"ID", "TYPE", "USER", "ADDR", "LADDR", "SKIPME", "MAXAGE"}
    return len(rest) >= 2 and len(rest) % 2 == 0 and all(rest[i].upper() in filters for i in range(0, len(rest), 2))


# (command, subcommand or None) -> (arguments it takes, destructive)
_CHANGES: dict[tuple[str, str | None], tuple[Callable[[list[str]], bool], bool]] = {
    ("CONFIG", "SET"): (_config_set, False),
    ("CONFIG", "REWRITE"): (_none, False),
    ("CONFIG", "RESETSTAT"): (_none, False),
    ("SLOWLOG", "RESET"): (_none, False),
    ("LATENCY", "RESET"): (lambda rest: True, False),
    ("MEMORY", "PURGE"): (_none, False),
    ("BGSAVE", None): (lambda rest: rest in ([], ["SCHEDULE"]), False),
    ("BGREWRITEAOF", None): (_none, False),
    ("SCRIPT", "KILL"): (_none, True),
    ("FUNCTION", "KILL"): (_none, True),
    ("UNLINK", None): (_keys, True),
    ("DEL", None): (_keys, True),
    ("CLIENT", "KILL"): (_client_kill, True),
    ("CLIENT", "NO-EVICT"): (lambda rest: [w.upper() for w in rest] in (["ON"], ["OFF"]), False),
    ("REPLICAOF", None): (_replicaof, True),
    ("SLAVEOF", None): (_replicaof, True),
    ("FAILOVER", None): (lambda rest: True, True),
}
_WITH_SUBCOMMAND = frozenset(name for name, sub in _CHANGES if sub is not None)


def check_change(args: Sequence[str]) -> bool:
    """Whether the change is destructive; raises CommandNotAllowed for anything not in the table."""
    words = list(args)
    if not words:
        raise CommandNotAllowed("empty command")
    name = words[0].upper()
    sub = words[1].upper() if name in _WITH_SUBCOMMAND and len(words) > 1 else None
    rest = words[2:] if name in _WITH_SUBCOMMAND else words[1:]
    entry = _CHANGES.get((name, sub))
    shown = " ".join(w for w in (name, sub) if w)
    if entry is None:
        raise CommandNotAllowed(f"{shown} is not a Redis change opsbot knows")
    takes, destructive = entry
    if not takes(rest):
        raise CommandNotAllowed(f"{shown} does not take these arguments: {' '.join(rest)[:80]}")
    return destructive
