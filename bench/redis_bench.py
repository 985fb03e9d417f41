"""Redis diagnosis on the independent case set (bench/cases/redis, README there): findings F1, primary
finding, must-not findings, time per diagnosis.

Each case is an INFO (and, for a replication pair, the replica's INFO), optional SLOWLOG GET and LATENCY
LATEST as redis-cli prints them, and the user's symptom; they go through the same parsers and analyzer as
`opsbot redis diagnose --info F --replica-info F --slowlog F --latency F --symptom S`.

Usage: .venv/bin/python -m bench.redis_bench [--half dev|test] [--verbose]
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench.diagnosis_scoring import F1, cli, load_cases, unknown_commands
from handlers.redis import diagnosis_card
from integrations.redis.analyzer import analyze
from integrations.redis.config import RedisThresholds
from integrations.redis.models import Snapshot
from integrations.redis.parsers import parse_infos, parse_latency_text, parse_slowlog_text


def snapshot(case: dict[str, Any]) -> Snapshot:
    infos = parse_infos(case.get("info") or "") + parse_infos(case.get("replica_info") or "")
    snap = Snapshot(source="pasted", info=infos[0] if infos else {}, peers=infos[1:])
    if case.get("slowlog"):
        snap.slowlog = parse_slowlog_text(case["slowlog"])
    if case.get("latency"):
        snap.latency = parse_latency_text(case["latency"])
    return snap


def run(half: str, verbose: bool) -> dict[str, float]:
    cases = load_cases("redis", half)
    thresholds = RedisThresholds()
    findings = F1()
    primary_ok, must_not, unknown, notes = 0, [], [], []
    timings: list[float] = []
    for case in cases:
        expect = case["expect"]
        started = time.perf_counter()
        diagnosis = analyze(snapshot(case), thresholds, case.get("symptom") or "")
        card = diagnosis_card(diagnosis, target="bench")
        timings.append((time.perf_counter() - started) * 1000)
        got = [f.code for f in diagnosis.findings]
        findings.add(case["id"], expect.get("findings") or [], got)
        primary = diagnosis.primary.code if diagnosis.primary else None
        if primary == expect.get("primary"):
            primary_ok += 1
        else:
            notes.append(f"{case['id']}: primary {primary} (expected {expect.get('primary')})")
        must_not += [f"{case['id']}: {c}" for c in set(got) & set(expect.get("must_not") or [])]
        unknown += unknown_commands(case["id"], card)
    result = {"cases": len(cases), "findings_f1": findings.value, "primary": primary_ok / len(cases),
              "must_not": len(must_not), "unknown_commands": len(unknown), "p50_ms": statistics.median(timings),
              "max_ms": max(timings)}
    print(f"redis {half}: {len(cases)} cases; findings F1 {findings.value:.3f}, primary {primary_ok}/{len(cases)} = "
          f"{result['primary']:.3f}, must-not violations {len(must_not)}, unknown commands {len(unknown)}, "
          f"diagnosis + card p50 {result['p50_ms']:.1f} ms (max {result['max_ms']:.1f} ms)")
    if verbose:
        for line in findings.misses + notes + must_not + unknown:
            print("  " + line)
    return result


if __name__ == "__main__":
    cli(run, __doc__ or "")
