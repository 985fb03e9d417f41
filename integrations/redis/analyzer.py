"""Snapshot in, diagnosis out: run every check, then rank (symptom first, then severity)."""

from __future__ import annotations

from core.primary_rules import choose_primary
from integrations.redis.catalogue import CATALOGUE, ORDER, PRIMARY_RULES, symptom_areas
from integrations.redis.checks import CHECKS
from integrations.redis.config import RedisThresholds
from integrations.redis.models import Diagnosis, Info, RedisFinding, Snapshot

REPORT_CHARS = 2000
_FACT_FIELDS = (
    ("version", "redis_version"), ("role", "role"), ("used memory", "used_memory_human"),
    ("maxmemory", "maxmemory_human"), ("policy", "maxmemory_policy"), ("clients", "connected_clients"),
    ("ops/s", "instantaneous_ops_per_sec"), ("uptime (days)", "uptime_in_days"),
)


def analyze(snapshot: Snapshot, thresholds: RedisThresholds | None = None, symptom: str = "") -> Diagnosis:
    th = thresholds or RedisThresholds()
    areas = symptom_areas(symptom)
    findings: list[RedisFinding] = []
    for code, check in CHECKS.items():
        finding = check(snapshot, th)
        if finding is not None:
            entry = CATALOGUE[code]
            finding.explains_symptom = bool(areas & entry.areas)
            if finding.only_if_asked and not finding.explains_symptom:
                continue
            connection = snapshot.cli_connection(finding.peer_port)
            finding.steps = entry.steps_for(connection)
            finding.fixes = entry.fixes_for(fix_values(snapshot, finding), connection)
            findings.append(finding)
    findings.sort(key=lambda f: (not f.explains_symptom, -f.severity.rank, ORDER[f.code]))
    if findings:
        chosen, _ = choose_primary([(f.code, f.title) for f in findings], PRIMARY_RULES)
        findings.insert(0, findings.pop(chosen))
    reports = {name: text[:REPORT_CHARS] for name, text in (("MEMORY DOCTOR", snapshot.memory_doctor),
                                                             ("LATENCY DOCTOR", snapshot.latency_doctor)) if text}
    return Diagnosis(instance=snapshot.instance, source=snapshot.source, window_s=snapshot.interval_s,
                     symptom=symptom, findings=findings,
                     facts=_facts(snapshot), notes=_notes(snapshot), reports=reports)


MIB = 1024 * 1024
HOST_SHARE = 0.75  # a maxmemory at most this share of the host's RAM leaves room for forks and buffers


def _size(value: float) -> str:
    return f"{max(1, int(value // MIB))}mb"


def _number(info: Info, field: str) -> float:
    value = info.get(field)
    return float(value) if isinstance(value, int | float) else 0.0


def fix_values(snapshot: Snapshot, finding: RedisFinding) -> dict[str, str]:
    """The values the catalogue's fix templates take, from the snapshot: a limit within the host's
    RAM, a larger replication backlog, the big key named. A value that cannot be known is absent,
    and so is the fix that needs it."""
    info = snapshot.latest
    host, limit = _number(info, "total_system_memory"), _number(info, "maxmemory")
    values: dict[str, str] = {}
    if host:
        values["maxmemory_host"] = _size(host * HOST_SHARE)
    if limit:
        raised = min(limit * 1.25, host * HOST_SHARE) if host else limit * 1.25
        if raised > limit:
            values["maxmemory_up"] = _size(raised)
    backlog = _number(info, "repl_backlog_size") or float(snapshot.config.get("repl-backlog-size", 0) or 0)
    values["backlog_up"] = _size(max(backlog * 4, 64 * MIB))
    keys = finding.evidence.get("keys")
    if isinstance(keys, dict) and keys:
        values["big_key"] = next(iter(keys))
    return values


def _facts(snapshot: Snapshot) -> dict[str, str]:
    info = snapshot.latest
    facts = {label: str(info[field]) for label, field in _FACT_FIELDS if field in info}
    if snapshot.dbsize is not None:
        facts["keys"] = str(snapshot.dbsize)
    if snapshot.slowlog_len is not None or snapshot.slowlog:
        facts["slow log"] = f"{snapshot.slowlog_len if snapshot.slowlog_len is not None else len(snapshot.slowlog)}" \
                            " entries"
    clients = snapshot.clients
    if clients is not None:
        facts["client flags"] = ", ".join(f"{k}={v}" for k, v in clients.by_flag.items())
        facts["client idle"] = ", ".join(f"{k}: {v}" for k, v in clients.idle_buckets.items())
        largest = _kib(clients.max_output_buffer_bytes)
        facts["client buffers"] = (f"query {_kib(clients.query_buffer_bytes)}, "
                                   f"output {_kib(clients.output_buffer_bytes)} (largest {largest})")
    return facts


def _kib(value: int) -> str:
    return f"{value / 1024:.0f} KiB" if value < 10 * 1024 * 1024 else f"{value / 1024 / 1024:.0f} MiB"


def _notes(snapshot: Snapshot) -> list[str]:
    notes = [f"{command}: {why}" for command, why in snapshot.errors.items()]
    if snapshot.source == "pasted":
        missing = [name for name, present in (("INFO", snapshot.has_info()), ("SLOWLOG GET", bool(snapshot.slowlog)),
                                              ("LATENCY LATEST", bool(snapshot.latency))) if not present]
        if missing:
            notes.append(f"not pasted: {', '.join(missing)} (findings that need them could not be checked)")
        if snapshot.has_info():
            notes.append("one INFO sample: counters are totals since start, not growth")
    return notes
