"""Webhook to the enriched triage card (no LLM), with Kubernetes, Prometheus and OpenSearch answering at
realistic latencies, on the real web + Celery worker processes and a real Redis.

Sources: the test suite's wire-format fakes (Kubernetes API, OpenSearch) and a Prometheus HTTP API
fake answering range queries, each answer delayed at random: Prometheus and OpenSearch 50-200 ms
per request, the Kubernetes API 10-30 ms per request (a pod triage makes ~7 requests: pod, events,
ReplicaSet, Deployment, two log tails, node; ~70-210 ms in all). Alerts are sent one at a time (the
next after the previous card is enriched), so the figures are latency, not queueing.

Scenario "all answer", then one scenario per source that hangs (never answers): the per-source
timeout (2 s) and total budget (4 s) must still deliver the card, with that source as an unavailable
line.

Usage: .venv/bin/python -m bench.evidence_bench [--alerts 30] [--hang kubernetes prometheus opensearch]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.support.fakes import kubernetes_api as k8s
from tests.support.fakes.kubernetes_api import FakeKubernetes, delay
from tests.support.fakes.opensearch_api import FakeOpenSearch, log_doc
from tests.support.fakes.server import FakeServer, json_response
from tests.support.servers import redis_server, wait_until
from tests.support.stack import BotStack, bot_stack

MiB = 2**20
SOURCES = ("kubernetes", "prometheus", "opensearch")


class FakePrometheus(FakeServer):
    """`/api/v1/query_range` answering a rising memory series near its limit, after a random delay."""

    def __init__(self) -> None:
        super().__init__()
        self.delay_s = 0.0
        self.latency_s = (0.05, 0.2)

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/api/v1/query_range", self._range)

    async def _range(self, request: web.Request) -> web.Response:
        await delay(self)
        query = request.query.get("query", "")
        value = 256 * MiB if "limits" in query else (0.4 if "throttled" in query else 250 * MiB)
        now = time.time()
        values = [[now - 60 * i, str(value * (1 - 0.002 * i))] for i in range(60, -1, -1)]
        metric = {"namespace": k8s.NS, "pod": k8s.OOM_POD, "container": "app"}
        return json_response({"status": "success", "data": {"resultType": "matrix",
                                                            "result": [{"metric": metric, "values": values}]}})


def notification(i: int) -> dict[str, Any]:
    labels = {"alertname": "KubePodOOMKilled", "namespace": k8s.NS, "pod": k8s.OOM_POD, "container": "app",
              "severity": "critical"}
    summary = f"bench evidence alert {i}"
    starts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    return {"version": "4", "groupKey": f'{{}}:{{alertname="KubePodOOMKilled", n="{i}"}}', "status": "firing",
            "receiver": "opsbot", "groupLabels": {"alertname": "KubePodOOMKilled"}, "commonLabels": labels,
            "commonAnnotations": {"summary": summary}, "externalURL": "http://alertmanager.example.internal",
            "truncatedAlerts": 0,
            "alerts": [{"status": "firing", "labels": labels, "annotations": {"summary": summary},
                        "startsAt": starts, "endsAt": "0001-01-01T00:00:00Z", "fingerprint": f"{i:016x}",
                        "generatorURL": "http://prometheus/graph?g0.expr=kube_pod_container_status_restarts_total"}]}


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def post(stack: BotStack, payload: dict[str, Any]) -> None:
    request = urllib.request.Request(f"{stack.web_url}/webhook/alertmanager", data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as resp:
        resp.read()


def enriched(stack: BotStack, summary: str) -> dict[str, Any] | None:
    for event in stack.card_events():
        card = event.get("card") or {}
        if event["action"] == "update" and card.get("title") == summary and card.get("footer", "").startswith(
                "triaged"):
            return event
    return None


def run(stack: BotStack, alerts: int, offset: int) -> tuple[list[float], list[dict[str, Any]]]:
    latencies, cards = [], []
    for i in range(offset, offset + alerts):
        payload = notification(i)
        summary = payload["commonAnnotations"]["summary"]
        sent = time.time()
        post(stack, payload)
        wait_until(lambda s=summary: enriched(stack, s) is not None, timeout=60, what="enriched card")
        event = enriched(stack, summary)
        assert event is not None
        latencies.append(event["ts"] - sent)
        cards.append(event["card"])
        time.sleep(random.uniform(0.05, 0.15))
    return latencies, cards


def report(name: str, latencies: list[float], cards: list[dict[str, Any]]) -> None:
    unavailable = sorted({u["source"] for c in cards for u in c["unavailable"]})
    codes = sorted({f["code"] for c in cards for f in c["findings"]})
    print(f"{name}: {len(latencies)} alerts, webhook -> enriched card p50 {percentile(latencies, 50) * 1000:.0f} ms, "
          f"p95 {percentile(latencies, 95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms; "
          f"findings {', '.join(codes)}; unavailable: {', '.join(unavailable) or 'none'}")


def redaction_speed() -> None:
    """Redaction cost on a log tail at the collector's default cap (16 KiB), with a secret every 20 lines."""
    from integrations.redaction import redact

    lines = [f"2026-11-22T10:00:{i % 60:02d}Z INFO checkout-7d9f8b6c5-x2x4z served GET /api/cart/{i} in {i % 97} ms "
             f"trace=4bf92f3577b34da6a3ce929d0e0e{i:04d}" for i in range(400)]
    for i in range(0, 400, 20):
        lines[i] = f"2026-11-22T10:00:00Z ERROR db login failed password=hunter{i} url=postgres://app:pw{i}@db/x"
    text = "\n".join(lines).encode()[-16384:].decode()
    runs = 50
    started = time.perf_counter()
    for _ in range(runs):
        redact(text)
    took = (time.perf_counter() - started) / runs
    print(f"redaction: {len(text) / 1024:.0f} KiB log tail in {took * 1000:.1f} ms "
          f"({len(text) / 1024 / took / 1024:.1f} MiB/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alerts", type=int, default=30, help="alerts per scenario")
    parser.add_argument("--hang", nargs="*", choices=SOURCES, default=list(SOURCES),
                        help="sources to make hang, one scenario each")
    args = parser.parse_args()
    redaction_speed()
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp)) as redis, \
            FakeKubernetes().run_in_thread() as kube, FakeOpenSearch().run_in_thread() as search, \
            FakePrometheus().run_in_thread() as prom:
        k8s.oom_crashloop(kube)
        kube.latency_s = (0.01, 0.03)
        search.latency_s = (0.05, 0.2)
        now = time.time()
        for i in range(50):
            search.documents.append(log_doc(datetime.now(UTC) - timedelta(seconds=5 * i), k8s.NS, k8s.OOM_POD,
                                            "java.lang.OutOfMemoryError: Java heap space"))
        env = {"OPSBOT_CONSOLE__ENABLED": "on", "OPSBOT_STORM__ENABLED": "false",  # each alert's own card
               "OPSBOT_BUDGETS__POSTS_PER_MINUTE": "1000000",
               "OPSBOT_KUBERNETES__CLUSTERS": json.dumps({"prod": {"host": kube.base_url, "token": k8s.TOKEN}}),
               "OPSBOT_PROMETHEUS__URL": prom.base_url, "OPSBOT_OPENSEARCH__URL": search.base_url}
        with bot_stack(redis.url, Path(tmp) / "data", env) as stack:
            run(stack, 3, offset=1_000_000)  # warm-up: imports, connection pools
            report("all answer", *run(stack, args.alerts, offset=0))
            servers: dict[str, Any] = {"kubernetes": kube, "prometheus": prom, "opensearch": search}
            for n, source in enumerate(args.hang, start=1):
                servers[source].delay_s = 3600
                report(f"{source} hangs", *run(stack, args.alerts, offset=10_000 * n))
                servers[source].delay_s = 0
        print(f"(total {time.time() - now:.0f} s)")


if __name__ == "__main__":
    main()
