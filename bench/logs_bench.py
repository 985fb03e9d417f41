"""/logs translation: the share of a question set translated correctly, and how fast.

The question set is tests/log_cases.py (English and Russian, nginx access logs, Kubernetes
application logs and syslog; two of them need more than the rules). Each translation is checked
semantically (filters, exclusions, time window, aggregations). Without the LLM: every question,
timed over `--repeat` runs (mapping already fetched, as /logs has it cached). With the LLM: the
embedded llama.cpp server (SmolLM2-135M, as `opsbot up` starts it) or `--llm-url`, asked only
about the words the rules left over.

`--cases bench/cases/logs/dev.yaml` (or test.yaml) scores the independent question set instead
(bench/cases/logs/README.md: 5 mappings, half Russian), on the query's meaning (bench.logs_scoring),
and checks the LLM path's validation with a fake LLM that answers each case correctly (every valid
translation kept) or with one broken clause (every one rejected). `--cases tests/data/logs_round2/cases.yaml`
(or probe*.yaml there) scores the round-2 phrasings the same way, `--cases tests/data/logs_round3/probe.yaml`
the round-3 blind probe (its mappings plus the benchmark's five).

Usage: .venv/bin/python -m bench.logs_bench [--repeat 200] [--no-llm] [--llm-url URL]
       .venv/bin/python -m bench.logs_bench --cases bench/cases/logs/dev.yaml [--verbose]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

from bench.logs_llm_check import llm_validation
from bench.logs_scoring import NOW as BENCH_NOW
from bench.logs_scoring import BenchCase, case_items, score
from handlers.logs import translate
from integrations.opensearch.config import OpenSearchSettings
from integrations.opensearch.mapping import IndexSchema, fields_from_mapping
from tests.support.log_cases import CASES, MAPPINGS, NOW, problems

CASES_DIR = Path(__file__).parent / "cases" / "logs"


def _fields(name: str) -> dict[str, str]:
    return fields_from_mapping({name: {"mappings": {"properties": MAPPINGS[name]}}})


def run(repeat: int, llm_url: str | None, use_llm: bool) -> None:
    config = OpenSearchSettings()
    timings: list[float] = []
    correct = 0
    for case in CASES:
        fields = _fields(case.mapping)
        time_field = IndexSchema(pattern="x", fields=fields).time_field or ""
        for _ in range(repeat):
            started = time.perf_counter()
            result = translate(case.question, fields, config, index=f"{case.mapping}-*", now=NOW)
            timings.append((time.perf_counter() - started) * 1000)
        wrong = problems(case, result.dsl, time_field)
        correct += not wrong
        print(f"{'ok ' if not wrong else 'BAD'} {case.question}" + (f"  <- {wrong[0]}" if wrong else ""))
    timings.sort()
    p50, p95 = statistics.median(timings), timings[int(len(timings) * 0.95)]
    print(f"\nwithout the LLM: {correct}/{len(CASES)} = {correct / len(CASES):.2f} correct; "
          f"translation p50 {p50:.2f} ms, p95 {p95:.2f} ms, max {timings[-1]:.2f} ms ({len(timings)} runs)")
    if use_llm:
        _with_llm(config, llm_url)


def _with_llm(config: OpenSearchSettings, llm_url: str | None) -> None:
    from bot.embedded_llm import EmbeddedLLM
    from integrations.llm.client import LLMClient
    from integrations.llm.config import EmbeddedLLMSettings, LLMSettings

    server = None
    if llm_url is None:
        server = EmbeddedLLM(EmbeddedLLMSettings(), Path(tempfile.mkdtemp(prefix="logs-bench-")))
        llm_url = server.start()
    try:
        client = LLMClient(LLMSettings(url=llm_url, cache_ttl_s=0))
        correct, seconds, calls = 0, [], 0
        for case in CASES:
            fields = _fields(case.mapping)
            started = time.perf_counter()
            result = translate(case.question, fields, config, index=f"{case.mapping}-*", now=NOW, llm=client)
            if result.not_understood or result.used_llm or result.llm_note:
                seconds.append(time.perf_counter() - started)
                calls += 1
            wrong = problems(case, result.dsl, IndexSchema(pattern="x", fields=fields).time_field or "")
            correct += not wrong
            note = result.llm_note or ("LLM added clauses" if result.used_llm else "")
            print(f"{'ok ' if not wrong else 'BAD'} {case.question}" + (f"  [{note}]" if note else ""))
        print(f"\nwith the LLM ({llm_url}): {correct}/{len(CASES)} = {correct / len(CASES):.2f} correct; "
              f"{calls} question(s) went to the LLM, median {statistics.median(seconds or [0]):.1f} s each")
    finally:
        if server is not None:
            server.stop()


def load_cases(path: Path) -> tuple[list[BenchCase], dict[str, dict[str, str]]]:
    # A set's own mappings, plus the benchmark's five (a round-3 probe uses both).
    shared = yaml.safe_load((CASES_DIR / "mappings.yaml").read_text(encoding="utf-8"))
    mappings = {**shared, **yaml.safe_load((path.parent / "mappings.yaml").read_text(encoding="utf-8"))}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = [BenchCase.model_validate(item) for item in case_items(data)]
    return cases, mappings


def run_cases(path: Path, repeat: int, verbose: bool) -> None:
    cases, mappings = load_cases(path)
    config = OpenSearchSettings()
    timings: list[float] = []
    correct: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for case in cases:
        fields = mappings[case.mapping]
        time_field = next(iter(fields))
        for _ in range(repeat):
            started = time.perf_counter()
            result = translate(case.question, fields, config, index=case.mapping, now=BENCH_NOW)
            timings.append((time.perf_counter() - started) * 1000)
        wrong = score(case, result.dsl, result.not_understood, fields, time_field)
        for key in ("all", case.lang, case.category, case.mapping):
            total[key] += 1
            correct[key] += not wrong
        if verbose or wrong:
            print(f"{'ok ' if not wrong else 'BAD'} {case.id} {case.question}")
            for item in wrong:
                print(f"      {item}")
    timings.sort()
    print(f"\n{path.name}: {correct['all']}/{total['all']} = {correct['all'] / total['all']:.2f} correct without "
          f"an LLM; translation p50 {statistics.median(timings):.2f} ms, p95 {timings[int(len(timings) * 0.95)]:.2f} "
          f"ms, max {timings[-1]:.2f} ms ({len(timings)} runs)")
    print("  " + ", ".join(f"{k} {correct[k]}/{total[k]}" for k in sorted(total) if k != "all"))
    figures = llm_validation(cases, mappings, config)
    print(f"LLM path (handlers.logs.translate), fake LLM answering each case correctly: asked on "
          f"{figures.asked}/{figures.answers} questions; {figures.kept}/{figures.clauses} valid clauses in the final "
          f"query ({figures.refused_coverage} answers refused for changing what the rules understood); "
          f"{figures.rejected}/{figures.broken_asked} answers with a broken clause not merged (of "
          f"{figures.broken} broken answers, {figures.broken_asked} asked for), "
          f"{figures.broken_kept} broken clauses sent; rules + that LLM: {figures.correct}/{figures.answers} correct")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=200, help="timed runs per question (rules only)")
    parser.add_argument("--no-llm", action="store_true", help="skip the run with the LLM")
    parser.add_argument("--llm-url", help="an OpenAI-compatible server instead of the embedded one")
    parser.add_argument("--cases", type=Path, help="a case file of bench/cases/logs (dev.yaml, test.yaml)")
    parser.add_argument("--verbose", action="store_true", help="print every case, not only the wrong ones")
    args = parser.parse_args()
    if args.cases:
        run_cases(args.cases, max(1, args.repeat), args.verbose)
        return
    run(args.repeat, args.llm_url, not args.no_llm)


if __name__ == "__main__":
    main()
