"""Webhook acceptance and webhook-to-first-card latency, on real Redis with the real web + worker processes.

Phase 1 (acceptance): only the web process runs; N distinct notifications are posted with C
concurrent connections. Reports alerts accepted per second, p50/p99 acknowledgement latency, and
counts the tasks that reached the broker queue (zero lost means queue length == accepted).
Phase 2 (first card): a worker runs and cards go to the fake Slack Web API (the test suite's
wire-format fake, driven through slack_sdk); alerts are sent at a steady rate and the time from
POST to the fake receiving chat.postMessage for that alert is measured.

Usage: .venv/bin/python -m bench.webhook_bench [--alerts 10000] [--concurrency 32] [--cards 200]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import redis

from tests.support.servers import redis_server, wait_until
from tests.support.stack import bot_stack

PAYLOAD = json.loads((Path(__file__).resolve().parent.parent / "tests/data/webhook-firing.json").read_text())


def notification(i: int) -> dict[str, Any]:
    payload = copy.deepcopy(PAYLOAD)
    pod = f"checkout-{i}"
    payload["groupKey"] = f'{{}}:{{alertname="KubePodCrashLooping", pod="{pod}"}}'
    alert = payload["alerts"][0]
    alert["fingerprint"] = f"{i:016x}"
    alert["labels"]["pod"] = pod
    payload["commonLabels"]["pod"] = pod
    alert["annotations"]["summary"] = payload["commonAnnotations"]["summary"] = f"bench alert {i}"
    return payload


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 10) - 1] if len(values) > 1 else values[0]


async def blast(url: str, count: int, concurrency: int) -> tuple[list[float], int, float]:
    bodies = [json.dumps(notification(i)).encode() for i in range(count)]
    latencies: list[float] = []
    accepted = 0
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def worker() -> None:
            nonlocal accepted
            while not queue.empty():
                body = queue.get_nowait()
                started = time.perf_counter()
                async with session.post(url, data=body, headers={"Content-Type": "application/json"}) as resp:
                    await resp.read()
                    if resp.status == 200:
                        accepted += 1
                latencies.append(time.perf_counter() - started)
        started = time.perf_counter()
        await asyncio.gather(*[worker() for _ in range(concurrency)])
        elapsed = time.perf_counter() - started
    return latencies, accepted, elapsed


async def paced(url: str, count: int, rate: float, sent_at: dict[str, float], offset: int) -> None:
    async with aiohttp.ClientSession() as session:
        for i in range(offset, offset + count):
            payload = notification(i)
            sent_at[payload["commonAnnotations"]["summary"]] = time.time()
            async with session.post(url, json=payload) as resp:
                await resp.read()
            await asyncio.sleep(1 / rate)


def acceptance(server_url: str, client: redis.Redis, workdir: Path, alerts: int, concurrency: int) -> None:
    # Web only: the worker is stopped right away so every queued task stays countable.
    with bot_stack(server_url, workdir, worker_args=("--concurrency", "1")) as stack:
        stack.processes["worker"].terminate()
        stack.processes["worker"].wait()
        client.flushall()
        url = f"{stack.web_url}/webhook/alertmanager"
        asyncio.run(blast(url, 500, concurrency))  # warm-up
        client.flushall()
        latencies, accepted, elapsed = asyncio.run(blast(url, alerts, concurrency))
        queued = int(client.llen("alerts"))
    print(f"acceptance: {alerts} alerts, concurrency {concurrency}: {accepted / elapsed:.0f} alerts/s, "
          f"ack p50 {percentile(latencies, 50) * 1000:.1f} ms, p99 {percentile(latencies, 99) * 1000:.1f} ms, "
          f"accepted {accepted}, tasks queued {queued}, lost {accepted - queued}")


def first_cards(server_url: str, client: redis.Redis, workdir: Path, cards: int, rate: float) -> None:
    from tests.support.fakes import slack_api

    client.flushall()
    with slack_api.FakeSlack().run_in_thread() as slack:
        env = {"OPSBOT_SLACK__BOT_TOKEN": slack_api.BOT_TOKEN, "OPSBOT_SLACK__API_URL": slack.api_url,
               # every alert's own first card is measured: no storm digest, no post budget
               "OPSBOT_STORM__ENABLED": "false", "OPSBOT_BUDGETS__POSTS_PER_MINUTE": "1000000"}
        with bot_stack(server_url, workdir, env) as stack:
            url = f"{stack.web_url}/webhook/alertmanager"
            sent_at: dict[str, float] = {}
            asyncio.run(paced(url, 20, rate, {}, offset=10_000_000))  # warm-up: imports, connections
            wait_until(lambda: len(slack.posts) >= 20, timeout=60, what="warm-up cards")
            asyncio.run(paced(url, cards, rate, sent_at, offset=0))
            wait_until(lambda: len(slack.posts) >= 20 + cards, timeout=120, what="cards")
    # A triage card's fallback text is "[FIRING] <summary>"; each bench alert has its own summary.
    received = {post["text"]: post["received_at"] for post in slack.posts}
    latency = [received[f"[FIRING] {summary}"] - sent for summary, sent in sent_at.items()
               if f"[FIRING] {summary}" in received]
    print(f"first card: {len(latency)} of {cards} alerts at {rate:g}/s: "
          f"p50 {percentile(latency, 50) * 1000:.0f} ms, p95 {percentile(latency, 95) * 1000:.0f} ms, "
          f"max {max(latency) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alerts", type=int, default=10000, help="notifications in the acceptance phase")
    parser.add_argument("--concurrency", type=int, default=32, help="connections in the acceptance phase")
    parser.add_argument("--cards", type=int, default=200, help="alerts in the first-card phase")
    parser.add_argument("--rate", type=float, default=20.0, help="alerts per second in the first-card phase")
    parser.add_argument("--phase", choices=("all", "acceptance", "first-card"), default="all")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp)) as server:
        client = redis.Redis.from_url(server.url)
        if args.phase in ("all", "acceptance"):
            acceptance(server.url, client, Path(tmp) / "p1", args.alerts, args.concurrency)
        if args.phase in ("all", "first-card"):
            first_cards(server.url, client, Path(tmp) / "p2", args.cards, args.rate)


if __name__ == "__main__":
    main()
