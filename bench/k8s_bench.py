"""/k8s on pasted kubectl output: primary-problem accuracy, finding F1 and time per diagnosis.

    .venv/bin/python -m bench.k8s_bench [--split dev|test|all] [--runs N] [--verbose] [--write]

Cases: `bench/cases/k8s/{dev,test}/*.yaml` (`paste`, `expect: {primary, findings, must_not}`), written
independently of the analyzers. Finding F1 counts a reported code as a false positive when the case
lists it under `must_not` (a code in neither list is neutral, as the case set's README says); the strict
F1 counts every code not expected. Tune on dev only; test is run once at the end. `--write` writes
`bench/results/k8s.md` for the splits run.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from handlers.k8s import diagnose_paste
from integrations.kubernetes.paste import MAX_BYTES

CASES = Path(__file__).resolve().parent / "cases" / "k8s"
RESULTS = Path(__file__).resolve().parent / "results" / "k8s.md"


@dataclass
class Outcome:
    case: str
    primary_ok: bool
    tp: int
    fn: int
    fp: int
    fp_strict: int
    must_not_hit: list[str]
    got: list[str]
    expected: dict[str, object]
    ms: list[float]


def run_case(path: Path, runs: int) -> Outcome:
    case = yaml.safe_load(path.read_text())
    expect = case["expect"]
    timings = []
    diagnosis = None
    for _ in range(runs):
        started = time.perf_counter()
        diagnosis = diagnose_paste(case["paste"])
        timings.append((time.perf_counter() - started) * 1000)
    assert diagnosis is not None
    got = list(dict.fromkeys(f.code for f in diagnosis.findings))
    wanted = set(expect.get("findings") or [])
    must_not = set(expect.get("must_not") or [])
    primary = diagnosis.primary.code if diagnosis.primary else None
    return Outcome(case=case.get("id", path.stem), primary_ok=primary == expect.get("primary"),
                   tp=len(wanted & set(got)), fn=len(wanted - set(got)), fp=len(must_not & set(got)),
                   fp_strict=len(set(got) - wanted), must_not_hit=sorted(must_not & set(got)), got=got,
                   expected=expect, ms=timings)


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def summarise(split: str, outcomes: list[Outcome]) -> dict[str, str]:
    tp, fn = sum(o.tp for o in outcomes), sum(o.fn for o in outcomes)
    times = sorted(t for o in outcomes for t in o.ms)
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    return {"split": split, "cases": str(len(outcomes)),
            "primary": f"{sum(o.primary_ok for o in outcomes)}/{len(outcomes)}",
            "finding F1": f"{f1(tp, sum(o.fp for o in outcomes), fn):.2f}",
            "strict F1": f"{f1(tp, sum(o.fp_strict for o in outcomes), fn):.2f}",
            "must-not hits": str(sum(len(o.must_not_hit) for o in outcomes)),
            "p50 ms": f"{statistics.median(times):.1f}", "p95 ms": f"{p95:.1f}", "max ms": f"{times[-1]:.1f}"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=("dev", "test", "all"), default="dev")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    diagnose_paste("kubectl get pods\nNAME  READY  STATUS  RESTARTS  AGE\nx  1/1  Running  0  1m\n")  # imports
    rows = []
    for split in (("dev", "test") if args.split == "all" else (args.split,)):
        outcomes = [run_case(p, args.runs) for p in sorted((CASES / split).glob("*.yaml"))]
        for o in outcomes:
            wrong = not o.primary_ok or o.fn or o.must_not_hit
            if args.verbose or wrong:
                print(f"{'  ' if not wrong else '✗ '}{o.case}: got {o.got} expected {o.expected}")
        rows.append(summarise(split, outcomes))
    header = list(rows[0])
    table = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    table += ["| " + " | ".join(row[h] for h in header) + " |" for row in rows]
    big = big_paste()
    table += ["", f"A 200 KB paste (every dev case's paste, repeated; cut at {MAX_BYTES // 1024} KB with a "
                  f"\"trimmed\" line): p50 {big[0]:.1f} ms, max {big[1]:.1f} ms over 5 runs."]
    print("\n".join(table))
    if args.write:
        RESULTS.write_text(RESULTS_HEAD + "\n".join(table) + "\n")


def big_paste() -> tuple[float, float]:
    pastes = [yaml.safe_load(p.read_text())["paste"] for p in sorted((CASES / "dev").glob("*.yaml"))]
    text = ""
    while len(text.encode()) < 200 * 1024:
        text += "\n".join(pastes) + "\n"
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        diagnosis = diagnose_paste(text)
        timings.append((time.perf_counter() - started) * 1000)
    assert diagnosis.pasted.trimmed
    return statistics.median(timings), max(timings)


RESULTS_HEAD = """# /k8s on pasted kubectl output (`.venv/bin/python -m bench.k8s_bench --split all --write`)

48 independent scenarios (`bench/cases/k8s`, 24 dev / 24 test, split by category before any tuning);
the analyzers were tuned on dev only and test was run once at the end. Primary: the card's first
finding is the expected primary code. Finding F1: expected codes found, a `must_not` code reported is a
false positive (codes in neither list are neutral); strict F1 counts every unexpected code. Time: one
`diagnose_paste` (detect, parse, analyze, quote), 10 runs per case, one CPU core.

"""


if __name__ == "__main__":
    main()
