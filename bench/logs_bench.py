"""/logs translation: the share of a question set translated correctly, and how fast.

The question set is tests/log_cases.py (English and Russian, nginx access logs, Kubernetes
application logs and syslog; two of them need more than the rules). Each translation is checked
semantically (filters, exclusions, time window, aggregations). Without the LLM: every question,
timed over `--repeat` runs (mapping already fetched, as /logs has it cached). With the LLM: the
embedded llama.cpp server (SmolLM2-135M, as `opsbot up` starts it) or `--llm-url`, asked only
about the words the rules left over.

Usage: .venv/bin/python -m bench.logs_bench [--repeat 200] [--no-llm] [--llm-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from handlers.logs import translate
from integrations.opensearch.config import OpenSearchSettings
from integrations.opensearch.mapping import IndexSchema, fields_from_mapping
from tests.support.log_cases import CASES, MAPPINGS, NOW, problems


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=200, help="timed runs per question (rules only)")
    parser.add_argument("--no-llm", action="store_true", help="skip the run with the LLM")
    parser.add_argument("--llm-url", help="an OpenAI-compatible server instead of the embedded one")
    args = parser.parse_args()
    run(args.repeat, args.llm_url, not args.no_llm)


if __name__ == "__main__":
    main()
