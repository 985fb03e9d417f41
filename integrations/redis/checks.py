"""One function per finding code: a snapshot and thresholds in, a finding (or None) out.

Each check reads only what it needs and returns the fields that show the problem, so a reader can
verify the conclusion from the card alone.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from core.models import Severity
from integrations.redis.catalogue import CATALOGUE
from integrations.redis.config import RedisThresholds
from integrations.redis.models import Info, LatencyEvent, RedisFinding, SlowlogEntry, Snapshot
from integrations.redis.parsers import parse_fields

Check = Callable[[Snapshot, RedisThresholds], RedisFinding | None]

# Commands whose cost grows with the size of a key or of the keyspace.
O_N_COMMANDS = frozenset({
    "SMEMBERS", "HGETALL", "HKEYS", "HVALS", "LRANGE", "ZRANGE", "ZREVRANGE", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE",
    "ZRANGEBYLEX", "ZRANGESTORE", "SUNION", "SINTER", "SDIFF", "SUNIONSTORE", "SINTERSTORE", "SDIFFSTORE",
    "ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE", "SORT", "SORT_RO", "LREM",
    "LINSERT", "LINDEX", "LSET", "LPOS", "DEL", "ZREMRANGEBYSCORE", "ZREMRANGEBYRANK", "ZREMRANGEBYLEX",
    "XRANGE", "XREVRANGE", "MGET", "MSET", "FLUSHDB", "FLUSHALL", "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO",
    "FCALL", "FCALL_RO", "SRANDMEMBER", "GETRANGE", "DUMP", "RESTORE", "COPY", "RENAME",
})
# Commands that read or delete a whole collection when called on one key: their cost is that key's size.
# (SORT and set algebra over several keys cost their computation: SLOW_COMMANDS.)
WHOLE_KEY_COMMANDS = frozenset({"HGETALL", "SMEMBERS", "HKEYS", "HVALS", "DEL", "UNLINK", "DUMP"})
_RANGE_COMMANDS = frozenset({"LRANGE", "ZRANGE", "ZREVRANGE", "XRANGE", "XREVRANGE"})


def make(code: str, severity: Severity, title: str, evidence: dict[str, Any]) -> RedisFinding:
    entry = CATALOGUE[code]
    return RedisFinding(code=code, severity=severity, title=title, evidence=evidence, fix=entry.fix,
                        doc=entry.doc, steps=entry.steps)


def _num(info: Info, field: str) -> float:
    value = info.get(field)
    return float(value) if isinstance(value, int | float) else 0.0


def _mb(value: float) -> str:
    return f"{value / 1024 / 1024:.1f} MiB"


def _counter(snap: Snapshot, field: str) -> tuple[int, bool]:
    """(growth in the sampling window, True) live; (total since start, False) from one sample."""
    delta = snap.delta(field)
    if delta is not None:
        return delta, True
    return int(_num(snap.info, field)), False


def _window(snap: Snapshot, live: bool) -> str:
    return f"in {snap.interval_s:g} s" if live else "since start"


def _latency_event(snap: Snapshot, *names: str) -> LatencyEvent | None:
    events = [e for e in snap.latency if e.event in names]
    return max(events, key=lambda e: e.max_ms) if events else None


def _log_matches(snap: Snapshot, pattern: str) -> list[str]:
    regex = re.compile(pattern, re.IGNORECASE)
    return [line.message for line in snap.log if regex.search(line.message)]


# --- slow log -------------------------------------------------------------------------------------

def keys_in_slowlog(snap: Snapshot, th: RedisThresholds) -> RedisFinding | None:
    keys = [e for e in snap.slowlog if e.command == "KEYS"]
    if not keys:
        return None
    worst = max(keys, key=lambda e: e.duration_us)
    return make("KEYS_IN_SLOWLOG", Severity.error,
                f"KEYS in the slow log: {len(keys)} calls, worst {worst.duration_us / 1000:.1f} ms",
                {"keys_entries": len(keys), "slowlog_entries": len(snap.slowlog),
                 "worst_us": worst.duration_us, "patterns": sorted({e.shown() for e in keys})[:5]})


def _big_key_read(entry: SlowlogEntry, th: RedisThresholds) -> bool:
    """A slow read or delete of one whole key: its cost is that key's size."""
    return _whole_key_read(entry) and entry.duration_us >= th.big_key_min_us


def slow_commands(snap: Snapshot, th: RedisThresholds) -> RedisFinding | None:
    """O(N) commands whose cost is the computation (SORT, set algebra, scripts, ranges by score), not one
    key's size: each slow-log entry counts once, KEYS and whole-key reads have findings of their own."""
    others = [e for e in snap.slowlog if e.command != "KEYS" and not _big_key_read(e, th)]
    heavy = [e for e in others if e.command in O_N_COMMANDS]
    heavy_us, others_us = sum(e.duration_us for e in heavy), sum(e.duration_us for e in others)
    worst = max((e.duration_us for e in heavy), default=0)
    if not heavy or heavy_us < th.slow_commands_share * others_us or (
            len(heavy) < th.slow_commands_min_entries and worst < th.slow_command_us):
        return None
    by_command = Counter(e.command for e in heavy)
    total_us: dict[str, int] = defaultdict(int)
    for e in heavy:
        total_us[e.command] += e.duration_us
    top = ", ".join(f"{cmd} ×{n}" for cmd, n in by_command.most_common(3))
    return make("SLOW_COMMANDS", Severity.warning,
                f"O(N) commands dominate the slow log ({len(heavy)} of {len(others)}, worst {worst / 1000:.0f} ms): "
                f"{top}",
                {"o_n_entries": len(heavy), "other_entries": len(others) - len(heavy), "worst_us": worst,
                 "by_command": dict(by_command.most_common(5)),
                 "total_ms_by_command": {c: round(total_us[c] / 1000, 1) for c, _ in by_command.most_common(5)}})


def _whole_key_read(entry: SlowlogEntry) -> bool:
    if entry.key is None:
        return False
    if entry.command in WHOLE_KEY_COMMANDS:
        return entry.command not in ("DEL", "UNLINK") or len(entry.args) == 2  # one key, not many small ones
    if entry.command in _RANGE_COMMANDS and len(entry.args) >= 4:
        return entry.args[2] in ("0", "-", "+") and entry.args[3] in ("-1", "+", "-")
    return False


def big_keys(snap: Snapshot, th: RedisThresholds) -> RedisFinding | None:
    worst: dict[str, SlowlogEntry] = {}
    for entry in snap.slowlog:
        if _big_key_read(entry, th) and entry.key is not None and (
                entry.key not in worst or entry.duration_us > worst[entry.key].duration_us):
            worst[entry.key] = entry
    if not worst:
        return None
    ranked = sorted(worst.values(), key=lambda e: -e.duration_us)
    names = ", ".join(e.shown(60) for e in ranked[:3])
    return make("BIG_KEYS", Severity.warning, f"Whole reads/deletes of huge keys block the server: {names}",
                {"keys": {(e.key or "")[:80]: {"command": e.command, "duration_us": e.duration_us}
                          for e in ranked[:5]},
                 "threshold_us": th.big_key_min_us})


# --- memory ---------------------------------------------------------------------------------------

def _fragmentation(snap: Snapshot, th: RedisThresholds) -> tuple[dict[str, Any], bool, bool] | None:
    """(evidence, real allocator fragmentation, RSS explained by something else) when the ratio is high:
    an old peak the allocator keeps, or a dataset so small (a few MB) that the ratio means nothing (INFO's
    documentation says so)."""
    info = snap.latest
    ratio, used, rss = _num(info, "mem_fragmentation_ratio"), _num(info, "used_memory"), _num(info, "used_memory_rss")
    waste = _num(info, "mem_fragmentation_bytes") or rss - used
    tiny = 0 < used < th.fragmentation_tiny_bytes
    if ratio < th.fragmentation_ratio or (waste < th.fragmentation_min_bytes and not tiny):
        return None
    peak = _num(info, "used_memory_peak")
    alloc_ratio, alloc_bytes = _num(info, "allocator_frag_ratio"), _num(info, "allocator_frag_bytes")
    evidence: dict[str, Any] = {
        "mem_fragmentation_ratio": ratio, "used_memory": _mb(used), "used_memory_rss": _mb(rss),
        "used_memory_peak": _mb(peak), "allocator_frag_ratio": alloc_ratio or None,
        "allocator_frag_bytes": _mb(alloc_bytes) if alloc_bytes else None,
    }
    real = alloc_ratio >= th.allocator_frag_ratio and alloc_bytes >= th.fragmentation_min_bytes
    peak_held = used > 0 and peak >= used * th.peak_ratio and rss <= peak * 1.1
    if "allocator_frag_ratio" not in info:  # before 4.0: only the peak can explain the ratio away
        real = not peak_held
    if tiny:
        real, evidence["note"] = False, f"used_memory is only {_mb(used)}: the ratio is not meaningful"
    return {k: v for k, v in evidence.items() if v is not None}, real, peak_held or tiny


def high_fragmentation(snap: Snapshot, th: RedisThresholds) -> RedisFinding | None:
    found = _fragmentation(snap, th)
    if found is None or not found[1]:
        return None
    evidence = found[0]
    return make("HIGH_FRAGMENTATION", Severity.warning,
                f"Allocator fragmentation: RSS is {evidence['mem_fragmentation_ratio']}× the data "
                f"(allocator_frag_ratio {evidence.get('allocator_frag_ratio', '?')})", evidence)


def fragmentation_ratio_misleading(snap: Snapshot, th: RedisThresholds) -> RedisFinding | None:
    found = _fragmentation(snap, th)
    if found is None or found[1] or not found[2]:
        return None
    evidence = found[0]
    tiny = "note" in evidence
    why = f"a dataset of {evidence['used_memory']}" if tiny else f"an old peak ({evidence['used_memory_peak']})"
    finding = make("FRAGMENTATION_RATIO_MISLEADING", Severity.info,
                   f"mem_fragmentation_ratio {evidence['mem_fragmentation_ratio']} only reflects {why}, not "
                   "fragmentation", evidence)
    finding.only_if_asked = tiny  # every small instance has a high ratio: say so when someone asks about memory
    return finding


def swap(snap: Snapshot, th: RedisThresholds) -> RedisFinding | None:
    info = snap.latest
    used, rss = _num(info, "used_memory"), _num(info, "used_memory_rss")
    if used < th.swap_min_used_bytes or rss <= 0 or rss >= used * th.swap_rss_ratio:
        return None
    return make("SWAP", Severity.critical, f"Part of the dataset is swapped out: RSS {_mb(rss)} < used {_mb(used)}",
                {"used_memory": _mb(used), "used_memory_rss": _mb(rss),
                 "mem_fragmentation_ratio": info.get("mem_fragmentation_ratio")})


def _memory_evidence(info: Info) -> dict[str, Any]:
    used, limit = _num(info, "used_memory"), _num(info, "maxmemory")
    evidence: dict[str, Any] = {"used_memory": _mb(used), "maxmemory": _mb(limit) if limit else "0 (unlimited)",
                                "maxmemory_policy": info.get("maxmemory_policy", "?")}
    if limit:
        evidence["used_pct"] = round(100 * used / limit, 1)
    return evidence


def evictions(snap: Snapshot, th: RedisThresholds) -> RedisFinding | None:
    evicted, live = _counter(snap, "evicted_keys")
    if evicted <= 0:
        return None
    evidence = {"evicted_keys": evicted, "window": _window(snap, live), **_memory_evidence(snap.latest)}
    rate = f" ({evicted / snap.interval_s:.0f}/s)" if live and snap.interval_s else ""
    return make("EVICTIONS", Severity.warning if live else Severity.info,
                f"{evicted} keys evicted {_window(snap, live)}{rate}", evidence)


def maxmemory_near(snap: Snapshot, th: RedisThresholds) -> RedisFinding | None:
    info = snap.latest
    used, limit = _num(info, "used_memory"), _num(info, "maxmemory")
    if not limit or used < limit * th.maxmemory_near_ratio:
        return None
    policy = str(info.get("maxmemory_policy", ""))
    # A cache with allkeys-* eviction lives at its limit by design; noeviction at the limit fails writes.
    severity = (Severity.info if policy.startswith("allkeys") else
                Severity.error if policy == "noeviction" else Severity.warning)
    return make("MAXMEMORY_NEAR", severity, f"Memory at {100 * used / limit:.0f}% of maxmemory ({policy})",
                _memory_evidence(info))


def oom_writes_rejected(snap: Snapshot, th: RedisThresholds) -> RedisFinding | None:
    info = snap.latest
    oom_now = parse_fields(info.get("errorstat_OOM")).get("count", 0)
    oom_before = parse_fields(snap.info.get("errorstat_OOM")).get("count", 0)
    live = bool(snap.info_later)
    rejected = int(oom_now) - int(oom_before) if live else int(oom_now)
    used, limit = _num(info, "used_memory"), _num(info, "maxmemory")
    at_limit = bool(limit) and used >= limit * 0.98 and info.get("maxmemory_policy") == "noeviction"
    logged = _log_matches(snap, r"OOM command not allowed")
    if rejected <= 0 and not at_limit and not logged:
        return None
    evidence = {"oom_errors": rejected, "window": _window(snap, live), "oom_errors_total": int(oom_now),
                **_memory_evidence(info)}
    if logged:
        evidence["log"] = logged[0][:160]
    title = (f"Writes rejected with OOM: {rejected} {_window(snap, live)} at {_mb(used)} of {_mb(limit)} (noeviction)"
             if rejected > 0 else
             f"At maxmemory under noeviction: writes fail with OOM ({int(oom_now)} since start)")
    return make("OOM_WRITES_REJECTED", Severity.critical, title, evidence)


def no_maxmemory(snap: Snapshot, th: RedisThresholds) -> RedisFinding | None:
    """No limit that protects the host: maxmemory 0 (or above the host's RAM) while the dataset fills most
    of `total_system_memory` (RSS or used_memory, whichever is larger: with swap, RSS falls below it)."""
    info = snap.latest
    host, rss, used = _num(info, "total_system_memory"), _num(info, "used_memory_rss"), _num(info, "used_memory")
    limit = _num(info, "maxmemory")
    dataset = max(rss, used)
    if "maxmemory" not in info or not host or (limit and limit < host) or dataset < host * th.no_maxmemory_host_ratio:
        return None
    what = "No maxmemory" if not limit else f"maxmemory {_mb(limit)} above the host's RAM"
    return make("NO_MAXMEMORY", Severity.error,
                f"{what} and the dataset uses {100 * dataset / host:.0f}% of the host's RAM",
                {"maxmemory": int(limit), "used_memory": _mb(used), "used_memory_rss": _mb(rss),
                 "total_system_memory": _mb(host)})


# --- clients --------------------------------------------------------------------------------------

def blocked_clients(snap: Snapshot, th: RedisThresholds) -> RedisFinding | None:
    info = snap.latest
    blocked, connected = int(_num(info, "blocked_clients")), int(_num(info, "connected_clients"))
    # consumers waiting in BLPOP/XREAD are normal while producers keep up: a finding when most clients or
    # very many wait
    if blocked < th.blocked_clients or (blocked < connected * th.blocked_share and blocked < th.blocked_clients_many):
        return None
    evidence: dict[str, Any] = {"blocked_clients": blocked, "connected_clients": connected}
    if snap.clients:
        evidence["commands"] = snap.clients.by_command
    severity = Severity.warning if connected and blocked >= connected / 2 else Severity.info
    return make("BLOCKED_CLIENTS", severity, f"{blocked} of {connected} clients blocked (BLPOP/XREAD/WAIT...)",
                evidence)


def maxclients_reached(snap: Snapshot, th: RedisThresholds) -> RedisFinding | None:
    info = snap.latest
    rejected, live = _counter(snap, "rejected_connections")
    connected = int(_num(info, "connected_clients"))
    limit = int(_num(info, "maxclients") or _config_number(snap, "maxclients"))
    full = bool(limit) and connected >= limit * th.maxclients_ratio
    if rejected <= 0 and not full:
        return None
    evidence: dict[str, Any] = {"connected_clients": connected, "maxclients": limit or "?",
                                "rejected_connections": int(_num(info, "rejected_connections"))}
    if live:
        evidence["rejected_in_window"] = rejected
    if snap.clients:
        evidence["idle"] = snap.clients.idle_buckets
    severity = Severity.error if full or live else Severity.warning
    return make("MAXCLIENTS_REACHED", severity,
                f"maxclients reached: {connected}/{limit or '?'} connected, {rejected} rejected "
                f"{_window(snap, live)}", evidence)


def _config_number(snap: Snapshot, name: str) -> float:
    try:
        return float(snap.config.get(name, 0))
    except ValueError:
        return 0.0


# --- persistence ----------------------------------------------------------------------------------

def fork_latency(snap: Snapshot, th: RedisThresholds) -> RedisFinding | None:
    """A fork slow for its size: the latency doc measures 10-13 ms per GB of RSS on hardware and VMware
    (Xen ~240), so a long fork of a large dataset on such a host is normal and a short one is no finding;
    but a stall of `fork_stall_usec` (1 s) is one whatever the size (the fix then is a smaller dataset
    per instance, or persistence on a replica)."""
    fork_us = int(_num(snap.latest, "latest_fork_usec"))
    event = _latency_event(snap, "fork")
    worst_us = max(fork_us, event.max_ms * 1000 if event else 0)
    rss_gb = _num(snap.latest, "used_memory_rss") / 1024 ** 3
    per_gb_ms = worst_us / 1000 / rss_gb if rss_gb else None
    slow_for_size = per_gb_ms is None or per_gb_ms >= th.fork_ms_per_gb
    if worst_us < th.fork_usec or worst_us == 0 or not (slow_for_size or worst_us >= th.fork_stall_usec):
        return None
    evidence: dict[str, Any] = {"latest_fork_usec": fork_us, "used_memory": _mb(_num(snap.latest, "used_memory")),
                                "used_memory_rss": _mb(_num(snap.latest, "used_memory_rss"))}
    if per_gb_ms is not None:
        evidence["fork_ms_per_gb"] = round(per_gb_ms, 1)
    if event:
        evidence["latency_fork_ms"] = {"latest": event.latest_ms, "max": event.max_ms}
    return make("FORK_LATENCY", Severity.warning, f"fork() stalls the server for up to {worst_us / 1000:.1f} ms",
                evidence)


def bgsave_failed(snap: Snapshot, th: RedisThresholds) -> RedisFinding | None:
    info = snap.latest
    failed = {f: info[f] for f in ("rdb_last_bgsave_status", "aof_last_bgrewrite_status") if info.get(f) == "err"}
    logged = _log_matches(snap, r"Background saving error|Failed opening the temp RDB|Can't save in background|"
                                r"Write error saving DB|Error moving temp DB file|MISCONF|"
                                r"Background AOF rewrite terminated with error")
    if not failed and not logged:
        return None
    evidence: dict[str, Any] = dict(failed)
    if "rdb_changes_since_last_save" in info:
        evidence["rdb_changes_since_last_save"] = info["rdb_changes_since_last_save"]
    refused = parse_fields(info.get("errorstat_MISCONF")).get("count")
    if refused:
        evidence["writes_refused_misconf"] = refused  # stop-writes-on-bgsave-error is in force
    if logged:
        evidence["log"] = logged[-1][:200]
    what = ", ".join(failed) or "log"
    return make("BGSAVE_FAILED", Severity.error, f"Background save failed ({what})", evidence)


def aof_fsync_slow(snap: Snapshot, th: RedisThresholds) -> RedisFinding | None:
    delayed, live = _counter(snap, "aof_delayed_fsync")
    event = _latency_event(snap, "aof-fsync-always", "aof-write-pending-fsync", "aof-write-active-child",
                           "aof-write-alone", "aof-write")
    logged = _log_matches(snap, r"AOF fsync is taking too long")
    if delayed < th.aof_delayed_fsync and event is None and not logged:
        return None
    evidence: dict[str, Any] = {"aof_delayed_fsync": delayed, "window": _window(snap, live)}
    if "appendfsync" in snap.config:
        evidence["appendfsync"] = snap.config["appendfsync"]
    if event:
        evidence[f"latency_{event.event}_ms"] = {"latest": event.latest_ms, "max": event.max_ms}
    if logged:
        evidence["log_lines"] = len(logged)
    return make("AOF_FSYNC_SLOW", Severity.warning,
                f"AOF fsync is slower than the disk allows ({delayed} delayed {_window(snap, live)})", evidence)


def aof_write_failed(snap: Snapshot, th: RedisThresholds) -> RedisFinding | None:
    """The last write to the AOF failed (disk full, I/O error): Redis refuses writes until one succeeds."""
    info = snap.latest
    logged = _log_matches(snap, r"Error writing to the AOF file|Can't persist the AOF|AOF write error")
    if info.get("aof_last_write_status") != "err" and not logged:
        return None
    evidence: dict[str, Any] = {"aof_last_write_status": info.get("aof_last_write_status", "?"),
                                "aof_enabled": info.get("aof_enabled")}
    refused = parse_fields(info.get("errorstat_MISCONF")).get("count")
    if refused:
        evidence["writes_refused_misconf"] = refused
    if logged:
        evidence["log"] = logged[-1][:200]
    return make("AOF_WRITE_FAILED", Severity.critical,
                "Writes to the AOF fail: Redis refuses writes until one succeeds",
                {k: v for k, v in evidence.items() if v is not None})


# --- replication ----------------------------------------------------------------------------------

def _replicas(info: Info) -> dict[str, dict[str, Any]]:
    return {k: parse_fields(v) for k, v in info.items() if re.fullmatch(r"slave\d+", k)}


def _is_replica(info: Info) -> bool:
    return info.get("role") in ("slave", "replica")


# States of a replica, as its master lists it (slaveN:...,state=...), before it holds a usable copy.
SYNCING_STATES = frozenset({"wait_bgsave", "send_bulk"})


def _name(info: Info) -> str:
    """host:port of an instance, from its own INFO where it says (a paste has no address)."""
    port = info.get("tcp_port")
    return f"{'replica' if _is_replica(info) else 'master'}{f' :{port}' if port else ''}"


def _master_offset(snap: Snapshot) -> float:
    """The master's replication offset, from whichever INFO of the pair is the master's."""
    return max((_num(i, "master_repl_offset") for i in snap.all_info if not _is_replica(i)), default=0.0)


def replica_lag(snap: Snapshot, th: RedisThresholds) -> RedisFinding | None:
    """A replica that is not in sync, seen from either side: the master lists it far behind or still
    receiving the snapshot (wait_bgsave, send_bulk); the replica's own INFO has its link up but its
    offset far behind and no I/O from the master for a while."""
    lagging: dict[str, Any] = {}
    master_offset = _master_offset(snap)
    for info in snap.all_info:
        if _is_replica(info):
            io_ago = int(_num(info, "master_last_io_seconds_ago"))
            behind = int(master_offset - _num(info, "slave_repl_offset")) if master_offset else 0
            behind_much = io_ago >= th.replica_lag_s or behind >= th.replica_lag_bytes
            if info.get("master_link_status") == "up" and behind_much:
                lagging[f"this replica ({_name(info)})"] = {"master_last_io_seconds_ago": io_ago,
                                                            "bytes_behind": behind}
            continue
        offset_here = _num(info, "master_repl_offset")
        for name, rep in _replicas(info).items():
            state = str(rep.get("state", ""))
            lag_s, offset = int(rep.get("lag", 0) or 0), int(rep.get("offset", 0) or 0)
            behind = int(offset_here - offset)
            where = f"{rep.get('ip')}:{rep.get('port')}"
            if state in SYNCING_STATES:
                lagging[name] = {"replica": where, "state": state, "bytes_behind": behind}
            elif state == "online" and (lag_s >= th.replica_lag_s or behind >= th.replica_lag_bytes):
                lagging[name] = {"replica": where, "state": state, "lag_s": lag_s, "bytes_behind": behind}
    if not lagging:
        return None
    syncing = [n for n, v in lagging.items() if v.get("state") in SYNCING_STATES]
    what = f"; {', '.join(syncing)} still receiving the snapshot" if syncing else ""
    return make("REPLICA_LAG", Severity.warning, f"Replica not in sync: {', '.join(lagging)}{what}",
                {"replicas": lagging, "master_repl_offset": int(master_offset)})


def replica_link_down(snap: Snapshot, th: RedisThresholds) -> RedisFinding | None:
    """The replica's own INFO says its link to the master is down (also while a full sync is in progress:
    it has no usable copy), or the log says the connection was lost."""
    evidence: dict[str, Any] = {}
    peer_port: int | None = None
    for info in snap.all_info:
        if _is_replica(info) and info.get("master_link_status") == "down":
            evidence = {"master": f"{info.get('master_host')}:{info.get('master_port')}",
                        "master_link_status": "down",
                        "master_link_down_since_seconds": info.get("master_link_down_since_seconds"),
                        "master_sync_in_progress": info.get("master_sync_in_progress")}
            if info.get("master_sync_in_progress") == 1 and "master_sync_perc" in info:
                evidence["master_sync_perc"] = info["master_sync_perc"]
            port = info.get("tcp_port")
            peer_port = port if info is not snap.latest and isinstance(port, int) else None
            break
    logged = _log_matches(snap, r"Error condition on socket for SYNC|MASTER timeout|Connection with master lost|"
                                r"Unable to connect to MASTER")
    if logged:
        evidence["log"] = logged[-1][:200]
    if not evidence:
        return None
    where = evidence.get("master", "its primary")
    syncing = " (full sync in progress)" if evidence.get("master_sync_in_progress") == 1 else ""
    finding = make("REPLICA_LINK_DOWN", Severity.critical, f"Replica has no link to {where}{syncing}",
                   {k: v for k, v in evidence.items() if v is not None})
    finding.peer_port = peer_port  # the replica's own INFO says it: its commands go to the replica
    return finding


def full_resync_loop(snap: Snapshot, th: RedisThresholds) -> RedisFinding | None:
    """Full syncs beyond one per replica, at more than `full_syncs_per_day` over the master's uptime (five
    in a year is no loop), or growing between two samples, or logged."""
    info = next((i for i in snap.all_info if not _is_replica(i)), snap.latest)
    full, replicas = int(_num(info, "sync_full")), int(_num(info, "connected_slaves"))
    grew = snap.delta("sync_full") or 0
    days = _num(info, "uptime_in_seconds") / 86400
    excess = full - replicas if days <= 1 or (full - replicas) / days >= th.full_syncs_per_day else 0
    logged = _log_matches(snap, r"Full resync requested by replica|Starting BGSAVE for SYNC")
    buffer_kills = _log_matches(snap, r"closed ASAP for overcoming of output buffer limits")
    if excess < th.full_sync_excess and not (grew and excess > 0) and len(logged) < th.full_sync_excess:
        return None
    evidence: dict[str, Any] = {"sync_full": full, "connected_slaves": replicas,
                                "sync_partial_ok": info.get("sync_partial_ok"),
                                "sync_partial_err": info.get("sync_partial_err"),
                                "repl_backlog_size": info.get("repl_backlog_size",
                                                              snap.config.get("repl-backlog-size"))}
    if grew:
        evidence["sync_full_in_window"] = grew
    if logged:
        evidence["full_syncs_in_log"] = len(logged)
    if buffer_kills:
        evidence["output_buffer_disconnects_in_log"] = len(buffer_kills)
    return make("FULL_RESYNC_LOOP", Severity.error if grew or buffer_kills else Severity.warning,
                f"Replicas keep needing full resyncs ({full} full syncs for {replicas} replicas)",
                {k: v for k, v in evidence.items() if v is not None})


def expire_cycle_latency(snap: Snapshot, th: RedisThresholds) -> RedisFinding | None:
    event = _latency_event(snap, "expire-cycle")
    capped = snap.delta("expired_time_cap_reached_count") or 0
    if (event is None or event.max_ms < th.expire_cycle_ms) and capped <= 0:
        return None
    evidence: dict[str, Any] = {"expired_keys": snap.latest.get("expired_keys")}
    if event:
        evidence["latency_expire_cycle_ms"] = {"latest": event.latest_ms, "max": event.max_ms}
    if capped:
        evidence["expired_time_cap_reached_in_window"] = capped
    worst = event.max_ms if event else 0
    return make("EXPIRE_CYCLE_LATENCY", Severity.warning,
                f"The active expire cycle blocks the server (up to {worst} ms)", evidence)


CHECKS: dict[str, Check] = {
    "KEYS_IN_SLOWLOG": keys_in_slowlog, "SLOW_COMMANDS": slow_commands, "BIG_KEYS": big_keys,
    "HIGH_FRAGMENTATION": high_fragmentation, "FRAGMENTATION_RATIO_MISLEADING": fragmentation_ratio_misleading,
    "SWAP": swap, "EVICTIONS": evictions, "MAXMEMORY_NEAR": maxmemory_near, "OOM_WRITES_REJECTED": oom_writes_rejected,
    "NO_MAXMEMORY": no_maxmemory, "BLOCKED_CLIENTS": blocked_clients, "MAXCLIENTS_REACHED": maxclients_reached,
    "FORK_LATENCY": fork_latency, "BGSAVE_FAILED": bgsave_failed, "AOF_FSYNC_SLOW": aof_fsync_slow,
    "AOF_WRITE_FAILED": aof_write_failed,
    "REPLICA_LAG": replica_lag, "REPLICA_LINK_DOWN": replica_link_down, "FULL_RESYNC_LOOP": full_resync_loop,
    "EXPIRE_CYCLE_LATENCY": expire_cycle_latency,
}
