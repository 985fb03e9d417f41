"""End-to-end triage with the embedded LLM: webhook -> first card -> explained card.

Real `redis-server`, the real `opsbot web` and `opsbot worker` processes, the knowledge index of
the bundled runbooks (so prompts carry retrieved excerpts), and the embedded llama.cpp server with
SmolLM2-135M exactly as `opsbot up` starts it. Alerts are sent one at a time (the server answers
one request at a time). For each: webhook-to-first-card, webhook-to-explained-card, LLM calls for
the group (from the audit stream), prompt tokens and the server's own time per request (from the
llama.cpp server's performance log, which counts with the model's tokenizer), and the bot's
overhead = explained-card time minus the server's time.

Usage: .venv/bin/python -m bench.llm_bench [--alerts 5] [--out bench/results/llm.md]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

import redis

from bot.embedded_llm import EmbeddedLLM
from integrations.llm.audit import AuditLog
from integrations.llm.config import EmbeddedLLMSettings
from tests.support.servers import redis_server, wait_until
from tests.support.stack import REPO, BotStack, bot_stack

PAYLOAD = json.loads((REPO / "tests/data/webhook-firing.json").read_text())
ALERTS = [  # (alertname, labels, summary, description)
    ("KubePodCrashLooping", {"namespace": "shop", "pod": "checkout-1", "container": "app"},
     "Pod shop/checkout-1 is crash looping", "Pod checkout-1 restarted 4 times in 10 minutes."),
    ("RedisOutOfMemory", {"instance": "cache-0:6379", "service": "cache"},
     "Redis cache-0 is out of memory", "Used memory is 98% of maxmemory."),
    ("CephOSDDown", {"ceph_daemon": "osd.3", "cluster": "prod"},
     "OSD osd.3 is down", "1 OSD down; 42 PGs degraded."),
    ("KubeContainerOOMKilled", {"namespace": "shop", "pod": "cart-2", "container": "cart"},
     "Container cart in shop/cart-2 was OOMKilled", "Exit code 137, reason OOMKilled."),
    ("RedisLatencyHigh", {"instance": "cache-1:6379", "service": "cache"},
     "Redis cache-1 latency is high", "p99 command latency above 50 ms for 5 minutes."),
]
_PERF = re.compile(r"prompt eval time =\s*([\d.]+) ms /\s*(\d+) tokens")
_EVAL = re.compile(r"\beval time =\s*([\d.]+) ms /\s*(\d+) runs")
_TOTAL = re.compile(r"total time =\s*([\d.]+) ms")
_PREFIX = re.compile(r"(\d+) prefix-match hit")


def notification(i: int) -> dict[str, Any]:
    name, labels, summary, description = ALERTS[i % len(ALERTS)]
    payload = copy.deepcopy(PAYLOAD)
    all_labels = {"alertname": name, "severity": "critical", "team": "sre", **labels, "run": str(i)}
    payload["groupKey"] = f'{{}}:{{alertname="{name}", run="{i}"}}'
    payload["groupLabels"] = {"alertname": name}
    payload["commonLabels"] = all_labels
    payload["commonAnnotations"] = {"summary": summary, "description": description}
    alert = payload["alerts"][0]
    alert.update(labels=all_labels, annotations=dict(payload["commonAnnotations"]), fingerprint=f"{i:016x}")
    return payload


class ServerRequest(NamedTuple):
    prompt_tokens: int
    prompt_ms: float
    completion_tokens: int
    total_ms: float


def server_requests(log_text: str) -> list[ServerRequest]:
    """Per request, in order, from llama.cpp's perf lines (a prefix-cache hit is added back to the
    prompt tokens: the model still reads them, the server only skips recomputing them)."""
    found: list[ServerRequest] = []
    prefix = prompt = completion = 0
    prompt_ms = 0.0
    for line in log_text.splitlines():
        if m := _PREFIX.search(line):
            prefix = int(m.group(1))
        elif m := _PERF.search(line):
            prompt, prompt_ms = prefix + int(m.group(2)), float(m.group(1))
        elif m := _EVAL.search(line):
            completion = int(m.group(2))
        elif (m := _TOTAL.search(line)) and prompt:
            found.append(ServerRequest(prompt, prompt_ms, completion, float(m.group(1))))
            prefix = prompt = completion = 0
    return found


def llm_outcome(card: dict[str, Any]) -> str | None:
    if any(f["code"] == "LLM_EXPLANATION" for f in card["findings"]):
        return "explained"
    reason = next((u["reason"] for u in card["unavailable"] if u["source"] == "llm"), None)
    return None if reason is None else reason.split(":", 1)[0]


def run_alert(stack: BotStack, audit: AuditLog, i: int) -> dict[str, Any]:
    before = len(stack.card_events())
    calls_before = len(audit.latest(10000))
    started = time.time()
    stack.post_webhook(notification(i))
    first: float | None = None
    explained: tuple[float, str, str] | None = None
    deadline = time.time() + 240
    while explained is None and time.time() < deadline:
        for event in stack.card_events()[before:]:
            if event["action"] == "post" and first is None:
                first = time.time() - started
            outcome = llm_outcome(event["card"]) if event["action"] == "update" else None
            if outcome:
                explained = (time.time() - started, outcome, event["card"]["footer"])
        time.sleep(0.05)
    if explained is None:
        raise TimeoutError(f"alert {i}: no explained card within 240 s")
    return {"alert": ALERTS[i % len(ALERTS)][0], "first_card_s": first, "explained_s": explained[0],
            "outcome": explained[1], "footer": explained[2], "calls": len(audit.latest(10000)) - calls_before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=5)
    parser.add_argument("--out", type=Path, default=REPO / "bench/results/llm.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data_dir = root / "data"
        data_dir.mkdir()
        (root / "redis").mkdir()
        llm = EmbeddedLLM(EmbeddedLLMSettings(), root)
        url = llm.start()
        try:
            with redis_server(root / "redis") as server:
                env = {**{k: v for k, v in os.environ.items() if not k.startswith("OPSBOT_")},
                       "OPSBOT_DATA_DIR": str(data_dir), "OPSBOT_REDIS_URL": server.url}
                sync_started = time.monotonic()
                subprocess.run([sys.executable, "-m", "bot", "knowledge", "sync"], env=env, cwd=REPO, check=True,
                               capture_output=True)
                print(f"knowledge index of the bundled runbooks built in {time.monotonic() - sync_started:.1f} s")
                extra = {"OPSBOT_LLM__URL": url, "OPSBOT_LLM__CACHE_TTL_S": "0"}
                with bot_stack(server.url, data_dir, extra) as stack:
                    audit = AuditLog(redis.Redis.from_url(server.url), 10000)
                    print("warm-up alert (loads the embedding model in the worker; not counted)")
                    run_alert(stack, audit, len(ALERTS) * 10)
                    skip = len(server_requests(llm.log_path.read_text()))
                    rows = []
                    for i in range(args.alerts):
                        row = run_alert(stack, audit, i)
                        rows.append(row)
                        print(json.dumps(row))
                    wait_until(lambda: len(server_requests(llm.log_path.read_text())) >= skip + sum(
                        r["calls"] for r in rows), timeout=30, what="server perf log")
                    per_request = server_requests(llm.log_path.read_text())[skip:]
        finally:
            llm.stop()
    report(rows, per_request, args.out)


def report(rows: list[dict[str, Any]], per_request: list[ServerRequest], out: Path) -> None:
    cursor = 0
    for row in rows:
        mine = per_request[cursor:cursor + row["calls"]]
        cursor += row["calls"]
        row["prompt_tokens"] = [r.prompt_tokens for r in mine]
        row["completion_tokens"] = sum(r.completion_tokens for r in mine)
        row["prefill_s"] = sum(r.prompt_ms for r in mine) / 1000
        row["server_s"] = sum(r.total_ms for r in mine) / 1000
        row["overhead_s"] = row["explained_s"] - row["server_s"]
    med = statistics.median
    lines = [
        "# LLM benchmark (embedded llama.cpp, SmolLM2-135M-Instruct Q4_1, 2 threads)",
        "",
        f"`.venv/bin/python -m bench.llm_bench --alerts {len(rows)}` on the 2-core development machine (shared with",
        "other work while measured). Real redis-server, web and worker processes, the knowledge index of the",
        "bundled runbooks, the embedded server as `opsbot up` starts it. Alerts one at a time.",
        "",
        "| alert | first card | explained card | outcome | LLM calls | prompt tokens | completion tokens "
        "| server time (prefill) | bot overhead |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['alert']} | {r['first_card_s']:.2f} s | {r['explained_s']:.1f} s | {r['outcome']} | "
                     f"{r['calls']} | {', '.join(map(str, r['prompt_tokens']))} | {r['completion_tokens']} | "
                     f"{r['server_s']:.1f} s ({r['prefill_s']:.1f} s) | {r['overhead_s']:.2f} s |")
    prompts = [p for r in rows for p in r["prompt_tokens"]]
    lines += [
        "",
        "| measure | result | target |",
        "|---|---|---|",
        f"| webhook to explained card, median / max | {med([r['explained_s'] for r in rows]):.1f} s / "
        f"{max(r['explained_s'] for r in rows):.1f} s | <= 20 s |",
        f"| prompt tokens per call, median / max (model tokenizer) | {med(prompts):.0f} / {max(prompts)} | <= 3,000 |",
        f"| LLM calls per alert group | {', '.join(str(r['calls']) for r in rows)} | exactly 1 (2 with a repair) |",
        f"| bot overhead around the LLM, median / max | {med([r['overhead_s'] for r in rows]):.2f} s / "
        f"{max(r['overhead_s'] for r in rows):.2f} s | |",
        f"| webhook to first card, median | {med([r['first_card_s'] for r in rows]):.2f} s | unaffected by the LLM |",
        "",
        "Footers: " + "; ".join(f"`{r['footer']}`" for r in rows),
    ]
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
