"""Ceph diagnosis on the independent case set (bench/cases/ceph, README there): health codes F1, muted
checks, primary problem, documented-fix recall, commands Ceph does not know, time per diagnosis.

Fix recall is the share of the cases' expected fix commands that appear on the card (its fixes or its
steps), whitespace-normalised, an expected `<value>` matching any one word. A command is unknown when the
card shows it although the project's parser (steps: read-only; fixes: a known change, with its caution when
destructive) refuses it.

Usage: .venv/bin/python -m bench.ceph_bench [--half dev|test] [--verbose]
"""

from __future__ import annotations

import statistics
import time

from bench.diagnosis_scoring import F1, cli, found, load_cases, unknown_commands
from handlers.ceph import diagnose_paste, diagnosis_card
from integrations.ceph.analyzer import analyze
from integrations.ceph.config import CephDiagnosisSettings
from integrations.ceph.models import CephSnapshot, HealthReport
from integrations.ceph.parsers import PasteError


def run(half: str, verbose: bool) -> dict[str, float]:
    cases = load_cases("ceph", half)
    config = CephDiagnosisSettings()
    codes, muted = F1(), F1()
    primary_ok, fixes_expected, fixes_found, unknown, must_not = 0, 0, 0, [], []
    timings: list[float] = []
    notes: list[str] = []
    for case in cases:
        expect = case["expect"]
        started = time.perf_counter()
        try:
            diagnosis = diagnose_paste(case["input"], config)
        except PasteError as exc:
            diagnosis = analyze(CephSnapshot(health=HealthReport()))
            notes.append(f"{case['id']}: not read: {exc}")
        card = diagnosis_card(diagnosis, target="bench")
        timings.append((time.perf_counter() - started) * 1000)
        active = [c.code for c in diagnosis.checks if not c.muted]
        codes.add(case["id"], expect.get("codes") or [], active)
        muted.add(case["id"], expect.get("muted") or [], [c.code for c in diagnosis.checks if c.muted])
        if diagnosis.primary == expect.get("primary"):
            primary_ok += 1
        else:
            notes.append(f"{case['id']}: primary {diagnosis.primary} (expected {expect.get('primary')})")
        shown = [f.command for f in card.fixes] + [s.command for s in card.steps]
        for fix in expect.get("fixes") or []:
            fixes_expected += 1
            if found(fix, shown):
                fixes_found += 1
            else:
                notes.append(f"{case['id']}: fix not on the card: {fix}")
        unknown += unknown_commands(case["id"], card)
        must_not += [f"{case['id']}: {c}" for c in set(active) & set(expect.get("must_not") or [])]
    result = {"cases": len(cases), "codes_f1": codes.value, "muted_f1": muted.value,
              "primary": primary_ok / len(cases), "fix_recall": fixes_found / fixes_expected if fixes_expected else 1.0,
              "unknown_commands": len(unknown), "must_not": len(must_not),
              "p50_ms": statistics.median(timings), "max_ms": max(timings)}
    print(f"ceph {half}: {len(cases)} cases; codes F1 {codes.value:.3f}, muted F1 {muted.value:.3f}, "
          f"primary {primary_ok}/{len(cases)} = {result['primary']:.3f}, "
          f"fix recall {fixes_found}/{fixes_expected} = {result['fix_recall']:.3f}, "
          f"unknown commands {len(unknown)}, must-not violations {len(must_not)}, "
          f"diagnosis + card p50 {result['p50_ms']:.1f} ms (max {result['max_ms']:.1f} ms)")
    if verbose:
        for line in codes.misses + muted.misses + notes + unknown + must_not:
            print("  " + line)
    return result


if __name__ == "__main__":
    cli(run, __doc__ or "")
