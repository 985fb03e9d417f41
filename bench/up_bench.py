"""`opsbot up` as a new user runs it: storm, cold start and memory, with the embedded LLM on and off.

For each mode (embedded llama.cpp + SmolLM2 with the competence gate as shipped, the same with the gate
off so that every group asks the LLM, then `OPSBOT_LLM__ENABLED=false`), in a fresh data dir:
1. cold start: `opsbot up`, wait for /readyz, post one alert at once; time to its first card;
2. memory idle: RSS and PSS (/proc/PID/smaps_rollup; PSS shares pages fairly) of every process;
3. storm: N alert groups posted within S seconds (direct webhooks, as Alertmanager with group_wait 0
   sends them); webhook-to-first-card p50/p95/max;
4. resolves: the same N groups resolved; time until each card shows `resolved`;
5. memory after the storm; LLM calls and prompt tokens per group from the audit log.

Usage: .venv/bin/python -m bench.up_bench [--groups 50] [--within 3] [--modes llm,llm-ungated,nollm]
       [--out bench/results/up.md]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.support.servers import free_port, http_ok, wait_until

REPO = Path(__file__).resolve().parent.parent
PAYLOAD = json.loads((REPO / "tests/data/webhook-firing.json").read_text())


def group(i: int, status: str = "firing") -> dict[str, Any]:
    payload = copy.deepcopy(PAYLOAD)
    pod = f"storm-{i}"
    payload["groupKey"] = f'{{}}:{{alertname="KubePodCrashLooping", pod="{pod}"}}'
    payload["commonLabels"]["pod"] = pod
    payload["status"] = status
    alert = payload["alerts"][0]
    alert["fingerprint"] = f"{i:016x}"
    alert["labels"]["pod"] = pod
    alert["status"] = status
    if status == "resolved":
        alert["endsAt"] = "2026-12-01T09:00:00Z"
    return payload


def post(url: str, payload: dict[str, Any]) -> None:
    request = urllib.request.Request(f"{url}/webhook/alertmanager", data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        resp.read()


def events(data_dir: Path) -> list[dict[str, Any]]:
    path = data_dir / "cards.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def pod_of(event: dict[str, Any]) -> str | None:
    return next((f["value"] for f in event.get("card", {}).get("fields", []) if f["name"] == "pod"), None)


def first_seen(data_dir: Path, action: str, check: Any = None) -> dict[str, float]:
    found: dict[str, float] = {}
    for event in events(data_dir):
        pod = pod_of(event)
        if pod and event["action"] in action.split(",") and pod not in found and (check is None or check(event)):
            found[pod] = event["ts"]
    return found


def descendants(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True).stdout
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        child, parent = (int(x) for x in line.split())
        children.setdefault(parent, []).append(child)
    found, todo = [pid], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def memory(pid: int) -> list[tuple[str, float, float]]:
    rows = []
    for proc in descendants(pid):
        try:
            cmd = Path(f"/proc/{proc}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            rollup = Path(f"/proc/{proc}/smaps_rollup").read_text()
        except OSError:
            continue
        values = {line.split(":")[0]: float(line.split()[1]) / 1024 for line in rollup.splitlines()[1:]}
        rows.append((label(cmd), values.get("Rss", 0.0), values.get("Pss", 0.0)))
    return sorted(rows, key=lambda r: -r[1])


def label(cmd: str) -> str:
    for needle, name in (("llama_cpp.server", "llama.cpp server"), ("embeddings serve", "embedding server"),
                         ("-Q alerts,chat", "worker alerts,chat"), ("-Q collect", "worker collect"),
                         ("-Q llm", "worker llm"), ("bot web", "web"), ("knowledge sync", "knowledge sync"),
                         ("valkey-server", "valkey"), ("llm check", "competence check (once, at start)"),
                         (" up", "opsbot up")):
        if needle in cmd:
            return name
    return cmd[:40]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run_mode(mode: str, groups: int, within: float) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix=f"up-bench-{mode}-"))
    data_dir, port = root / "data", free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSBOT_")}
    # Each group's own first card is what is measured: no storm digest, no post budget (bench.storm_bench
    # measures those).
    env |= {"OPSBOT_WEB__PORT": str(port), "OPSBOT_LLM__CACHE_TTL_S": "0", "OPSBOT_STORM__ENABLED": "false",
            "OPSBOT_BUDGETS__POSTS_PER_MINUTE": "100000"}
    if mode == "nollm":
        env["OPSBOT_LLM__ENABLED"] = "false"
    if mode == "llm-ungated":  # every group gets its LLM call: the LLM pool under a real load
        env["OPSBOT_LLM__GATE"] = "off"
    url = f"http://127.0.0.1:{port}"
    log = open(root / "up.log", "wb")  # noqa: SIM115 - the child keeps it
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "--data-dir", str(data_dir), "up"], env=env, stdout=log,
                            stderr=subprocess.STDOUT, cwd=REPO)
    result: dict[str, Any] = {"mode": mode}
    try:
        wait_until(lambda: http_ok(f"{url}/readyz"), timeout=180, what="opsbot up")
        result["ready_s"] = time.monotonic() - started
        sent = time.time()
        post(url, group(10_000))
        wait_until(lambda: "storm-10000" in first_seen(data_dir, "post"), timeout=60, what="cold first card")
        result["cold_first_card_s"] = first_seen(data_dir, "post")["storm-10000"] - sent
        time.sleep(20)  # let the knowledge sync and the first alert's LLM pass finish: idle means idle
        result["memory_idle"] = memory(proc.pid)

        sent_at: dict[str, float] = {}
        gap = within / groups
        for i in range(groups):
            sent_at[f"storm-{i}"] = time.time()
            post(url, group(i))
            time.sleep(gap)
        wait_until(lambda: len(set(sent_at) & set(first_seen(data_dir, "post"))) == groups, timeout=300,
                   what="every first card")
        posted = first_seen(data_dir, "post")
        waits = [posted[pod] - sent_at[pod] for pod in sent_at]
        result["first_card"] = {"p50": statistics.median(waits), "p95": pct(waits, 0.95), "max": max(waits)}

        resolved_at: dict[str, float] = {}
        for i in range(groups):
            resolved_at[f"storm-{i}"] = time.time()
            post(url, group(i, "resolved"))
            time.sleep(gap)

        def resolved() -> dict[str, float]:
            return first_seen(data_dir, "update", lambda e: e["card"]["status"] == "resolved")

        wait_until(lambda: len(set(resolved_at) & set(resolved())) == groups, timeout=300, what="every resolve")
        done = resolved()
        resolve_waits = [done[pod] - resolved_at[pod] for pod in resolved_at]
        result["resolve"] = {"p50": statistics.median(resolve_waits), "p95": pct(resolve_waits, 0.95),
                             "max": max(resolve_waits)}
        if mode.startswith("llm"):  # let the LLM pool drain what it will (bounded), then read the audit
            time.sleep(30)
        result["memory_after"] = memory(proc.pid)
        audit = subprocess.run([sys.executable, "-m", "bot", "--data-dir", str(data_dir), "llm", "audit", "-n",
                                "1000", "--json"], capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
        calls = [json.loads(line) for line in audit.stdout.splitlines() if line.strip().startswith("{")]
        triage = [c for c in calls if c.get("task") == "triage"]
        result["llm_calls"] = len(triage)
        result["prompt_tokens"] = sorted(c.get("prompt_tokens", 0) for c in triage)
    finally:
        proc.send_signal(2)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
    return result


def table(rows: list[tuple[str, float, float]]) -> str:
    lines = ["| process | RSS MB | PSS MB |", "|---|---|---|"]
    lines += [f"| {name} | {rss:.0f} | {pss:.0f} |" for name, rss, pss in rows]
    lines.append(f"| **all** | **{sum(r[1] for r in rows):.0f}** | **{sum(r[2] for r in rows):.0f}** |")
    return "\n".join(lines)


def report(results: list[dict[str, Any]], groups: int, within: float) -> str:
    out = [f"# `opsbot up`: storm of {groups} groups within {within:g} s, cold start, memory", ""]
    for r in results:
        mode = {"llm": "embedded LLM on (SmolLM2-135M, llama.cpp, 2 threads), gate auto (default)",
                "llm-ungated": "embedded LLM on, gate off (every group asks the LLM)",
                "nollm": "LLM off"}[r["mode"]]
        fc, rs = r["first_card"], r["resolve"]
        tokens = r.get("prompt_tokens") or []
        out += [f"## {mode}", "",
                "| measure | result |", "|---|---|",
                f"| `opsbot up` to /readyz | {r['ready_s']:.1f} s |",
                f"| cold start: first card of an alert posted right after /readyz | {r['cold_first_card_s']:.2f} s |",
                f"| storm first card p50 / p95 / max | {fc['p50']:.2f} / {fc['p95']:.2f} / {fc['max']:.2f} s |",
                f"| resolve reaches the card p50 / p95 / max | {rs['p50']:.2f} / {rs['p95']:.2f} / {rs['max']:.2f} s |",
                f"| LLM triage calls made (for {groups + 1} groups) | {r.get('llm_calls', 0)} |",
                f"| prompt tokens per call, median / max | "
                f"{statistics.median(tokens) if tokens else 0:.0f} / {max(tokens) if tokens else 0} |",
                "", "Memory idle:", "", table(r["memory_idle"]), "",
                f"Memory after {groups} alerts:", "", table(r["memory_after"]), ""]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--within", type=float, default=3.0)
    parser.add_argument("--modes", default="llm,llm-ungated,nollm")
    parser.add_argument("--out", type=Path, default=REPO / "bench/results/up.md")
    args = parser.parse_args()
    results = [run_mode(mode, args.groups, args.within) for mode in args.modes.split(",")]
    text = report(results, args.groups, args.within)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
