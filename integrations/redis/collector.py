"""Live collection: two INFO samples around the other read-only commands, into one `Snapshot`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import redis

from integrations.redis.client import ReadOnlyRedis, RedisUnavailable
from integrations.redis.config import RedisInstance
from integrations.redis.models import Snapshot
from integrations.redis.parsers import (
    latency_from_reply,
    pairs_to_dict,
    parse_info,
    slowlog_from_reply,
    summarise_clients,
)

CONFIG_PARAMS = ("maxmemory*", "appendfsync", "save", "repl-backlog-size", "maxclients")


def collect(instance: RedisInstance, *, name: str = "", interval_s: float = 3.0,
            slowlog_entries: int = 128) -> Snapshot:
    """Read everything the analyzer needs. Raises `RedisUnavailable` only when the server cannot be
    reached at all; a command that is refused (ACL, renamed) becomes a note in `Snapshot.errors`."""
    started = time.monotonic()
    with ReadOnlyRedis(instance) as conn:
        snap = Snapshot(source="live", instance=name, connection=instance.cli_options)
        snap.info = parse_info(conn.execute("INFO", "all"))
        first_sample = time.monotonic()

        def read(label: str, convert: Callable[[Any], None], *command: str | int) -> None:
            try:
                convert(conn.execute(*command))
            except redis.ResponseError as exc:  # NOPERM, unknown/renamed command, ...
                snap.errors[label] = str(exc)
            except RedisUnavailable as exc:
                snap.errors[label] = f"unreachable: {exc}"

        read("SLOWLOG GET", lambda r: setattr(snap, "slowlog", slowlog_from_reply(r)), "SLOWLOG", "GET",
             slowlog_entries)
        read("SLOWLOG LEN", lambda r: setattr(snap, "slowlog_len", int(r)), "SLOWLOG", "LEN")
        read("LATENCY LATEST", lambda r: setattr(snap, "latency", latency_from_reply(r)), "LATENCY", "LATEST")
        read("LATENCY DOCTOR", lambda r: setattr(snap, "latency_doctor", str(r)), "LATENCY", "DOCTOR")
        read("MEMORY STATS", lambda r: setattr(snap, "memory_stats", _plain(pairs_to_dict(r))), "MEMORY", "STATS")
        read("MEMORY DOCTOR", lambda r: setattr(snap, "memory_doctor", str(r)), "MEMORY", "DOCTOR")
        read("CLIENT LIST", lambda r: setattr(snap, "clients", summarise_clients(str(r))), "CLIENT", "LIST")
        for param in CONFIG_PARAMS:
            read(f"CONFIG GET {param}", lambda r: snap.config.update(
                {k: str(v) for k, v in pairs_to_dict(r).items()}), "CONFIG", "GET", param)
        read("ROLE", lambda r: setattr(snap, "role", list(r)), "ROLE")
        read("DBSIZE", lambda r: setattr(snap, "dbsize", int(r)), "DBSIZE")
        if interval_s > 0:
            time.sleep(max(0.0, interval_s - (time.monotonic() - first_sample)))
            try:
                snap.info_later = parse_info(conn.execute("INFO", "all"))
                snap.interval_s = round(time.monotonic() - first_sample, 2)
            except (redis.ResponseError, RedisUnavailable) as exc:  # one sample still diagnoses gauges
                snap.errors["INFO (second sample)"] = str(exc)
    snap.took_ms = round((time.monotonic() - started) * 1000, 1)
    return snap


def _plain(stats: dict[str, Any]) -> dict[str, Any]:
    """MEMORY STATS nests db.N as another flat list; make it a dict too."""
    return {k: pairs_to_dict(v) if isinstance(v, list) else v for k, v in stats.items()}
