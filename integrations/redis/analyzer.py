"""Snapshot in, diagnosis out: run every check, then rank (symptom first, then severity)."""

from __future__ import annotations

from integrations.redis.catalogue import CATALOGUE, ORDER, symptom_areas
from integrations.redis.checks import CHECKS
from integrations.redis.config import RedisThresholds
from integrations.redis.models import Diagnosis, RedisFinding, Snapshot

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
            finding.explains_symptom = bool(areas & CATALOGUE[code].areas)
            findings.append(finding)
    findings.sort(key=lambda f: (not f.explains_symptom, -f.severity.rank, ORDER[f.code]))
    reports = {name: text[:REPORT_CHARS] for name, text in (("MEMORY DOCTOR", snapshot.memory_doctor),
                                                             ("LATENCY DOCTOR", snapshot.latency_doctor)) if text}
    return Diagnosis(instance=snapshot.instance, source=snapshot.source, window_s=snapshot.interval_s,
                     symptom=symptom, findings=findings,
                     facts=_facts(snapshot), notes=_notes(snapshot), reports=reports)


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
