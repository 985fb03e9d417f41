"""Kubernetes evidence through the official client against a fake API server speaking the documented JSON:
OOMKilled crash loop, image pull failure, unschedulable pod, node not ready, workload alerts, a hanging API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from handlers.enrichers.evidence import KubernetesEnricher
from handlers.triage import enrich, enriched_card, first_card
from integrations.kubernetes.config import KubeCluster, KubernetesSettings
from tests.support.fakes import kubernetes_api as k8s
from tests.support.fakes.kubernetes_api import FakeKubernetes
from tests.support.kubernetes_alerts import group


@pytest.fixture
def fake() -> Iterator[FakeKubernetes]:
    with FakeKubernetes().run_in_thread() as server:
        yield server
        server.delay_s = 0  # release hanging requests so the server stops at once


def settings_for(fake: FakeKubernetes, **overrides: Any) -> KubernetesSettings:
    return KubernetesSettings(clusters={"prod": KubeCluster(host=fake.base_url, token=k8s.TOKEN)}, **overrides)


def codes(findings: list[Any]) -> list[str]:
    return [f.code for f in findings]


def test_oomkilled_crash_loop_pod_events_logs_owners_node(fake: FakeKubernetes) -> None:
    k8s.oom_crashloop(fake, previous_log="boot\npassword=hunter2 db=orders\njava.lang.OutOfMemoryError: heap\n")
    result = KubernetesEnricher(settings_for(fake)).collect(group({"namespace": k8s.NS, "pod": k8s.OOM_POD}))
    assert not result.unavailable
    assert codes(result.findings) == ["OOMKilled", "CrashLoopBackOff", "RecentRollout"]
    crash = result.findings[1]
    assert "exit code 137" in crash.explanation and "SIGKILL" in crash.explanation
    assert any("--previous" in s.command for s in crash.steps)
    steps = [s.command for f in result.findings for s in f.steps]
    assert steps and all(s.startswith("kubectl ") and " delete " not in s for s in steps)
    assert "deployment/checkout" in result.findings[2].title

    by_id = {e.id: e for e in result.evidence}
    pod = by_id[f"k8s:prod:pod/shop/{k8s.OOM_POD}"]
    assert "last terminated OOMKilled exit 137" in pod.text and "limits memory=256Mi" in pod.text
    assert "ReplicaSet/checkout-7d9f8b6c5 (rev 7) <- Deployment/checkout (rev 7)" in pod.text
    # duplicate BackOff events are merged (12 + 3), newest first
    events = pod.data["events"]
    assert events[0]["reason"] == "BackOff" and events[0]["count"] == 15
    assert [e["reason"] for e in events] == ["BackOff", "Pulled", "Started"]
    logs = by_id[f"k8s:prod:pod/shop/{k8s.OOM_POD}/logs"]
    assert "--- app (previous)" in logs.text and "OutOfMemoryError" in logs.text
    assert "hunter2" not in logs.text and "password=[redacted]" in logs.text
    assert by_id["k8s:prod:node/node-1"].text.startswith("node node-1: Ready=True")
    assert all(e.took_ms > 0 for e in result.evidence)

    # read-only: only GETs reached the API server, and never for secrets
    assert {r.method for r in fake.requests} == {"GET"}
    assert not any("secret" in r.path for r in fake.requests)
    log_requests = fake.requests_to("/log")
    assert len(log_requests) == 2


def test_no_recent_rollout_when_the_rollout_is_old(fake: FakeKubernetes) -> None:
    k8s.oom_crashloop(fake, rollout_ago_s=3 * 86400)
    result = KubernetesEnricher(settings_for(fake)).collect(group({"namespace": k8s.NS, "pod": k8s.OOM_POD}))
    assert "RecentRollout" not in codes(result.findings)


def test_image_pull_failure(fake: FakeKubernetes) -> None:
    k8s.image_pull_failure(fake)
    result = KubernetesEnricher(settings_for(fake)).collect(group({"namespace": k8s.NS, "pod": k8s.PULL_POD}))
    assert codes(result.findings) == ["ImagePullBackOff"]
    assert "Failed to pull image" in result.findings[0].explanation and "not found" in result.findings[0].explanation
    assert not fake.requests_to("/log")  # the container never ran: no logs asked for


def test_unschedulable_pod_names_the_causes(fake: FakeKubernetes) -> None:
    k8s.unschedulable(fake)
    result = KubernetesEnricher(settings_for(fake)).collect(group({"namespace": k8s.NS, "pod": k8s.PENDING_POD}))
    assert codes(result.findings) == ["Unschedulable"]
    explanation = result.findings[0].explanation
    assert "insufficient memory" in explanation and "taints" in explanation
    assert not fake.requests_to("/log") and not fake.requests_to("/nodes/None")


def test_node_not_ready_with_pressure_and_events(fake: FakeKubernetes) -> None:
    k8s.node_not_ready(fake)
    result = KubernetesEnricher(settings_for(fake)).collect(group({"node": k8s.BAD_NODE}, name="KubeNodeNotReady"))
    assert sorted(codes(result.findings)) == ["NodeDiskPressure", "NodeNotReady"]
    not_ready = next(f for f in result.findings if f.code == "NodeNotReady")
    assert not_ready.severity.value == "critical" and "Kubelet stopped posting" in not_ready.explanation
    node = result.evidence[0]
    assert "NodeNotReady" in node.text and "node.kubernetes.io/unreachable" in node.text


def test_workload_alert_reads_the_deployment_and_its_pods(fake: FakeKubernetes) -> None:
    k8s.oom_crashloop(fake)
    result = KubernetesEnricher(settings_for(fake)).collect(
        group({"namespace": k8s.NS, "deployment": "checkout"}, name="KubeDeploymentReplicasMismatch"))
    assert codes(result.findings) == ["ReplicasMismatch", "OOMKilled", "CrashLoopBackOff"]
    assert result.evidence[0].id == "k8s:prod:deployment/shop/checkout"
    assert k8s.OOM_POD in result.evidence[0].text
    assert fake.requests_to("/pods")[0].path == "/api/v1/namespaces/shop/pods"


def test_missing_pod_and_unknown_cluster_become_unavailable_lines(fake: FakeKubernetes) -> None:
    enricher = KubernetesEnricher(settings_for(fake))
    gone = enricher.collect(group({"namespace": k8s.NS, "pod": "gone-123"}))
    assert gone.unavailable[0].source == "kubernetes" and "404" in gone.unavailable[0].reason
    assert gone.evidence[0].error and not gone.findings
    other = enricher.collect(group({"namespace": k8s.NS, "pod": "x", "cluster": "staging"}))
    assert "no configured cluster" in other.unavailable[0].reason


def test_hanging_api_the_card_still_goes_out_with_kubernetes_unavailable(fake: FakeKubernetes) -> None:
    k8s.oom_crashloop(fake)
    fake.delay_s = 30
    alert = group({"namespace": k8s.NS, "pod": k8s.OOM_POD})
    enrichment = enrich(alert, [KubernetesEnricher(settings_for(fake, request_timeout_s=10))],
                        per_source_s=0.5, total_s=1)
    card = enriched_card(first_card(alert), enrichment)
    assert [u.source for u in card.unavailable] == ["kubernetes"]
    assert "no answer within 0.5 s" in card.unavailable[0].reason
    assert card.title == "KubePodCrashLooping fired"


def test_client_request_timeout_bounds_each_call(fake: FakeKubernetes) -> None:
    k8s.oom_crashloop(fake)
    fake.delay_s = 5
    result = KubernetesEnricher(settings_for(fake, request_timeout_s=0.2)).collect(
        group({"namespace": k8s.NS, "pod": k8s.OOM_POD}))
    assert result.unavailable and "Timeout" in result.unavailable[0].reason


def test_kubeconfig_context_selects_the_cluster(fake: FakeKubernetes, tmp_path: Path) -> None:
    k8s.node_not_ready(fake)
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "staging",
        "clusters": [{"name": "prod", "cluster": {"server": fake.base_url}},
                     {"name": "staging", "cluster": {"server": "http://127.0.0.1:9"}}],
        "users": [{"name": "opsbot", "user": {"token": k8s.TOKEN}}],
        "contexts": [{"name": "prod", "context": {"cluster": "prod", "user": "opsbot"}},
                     {"name": "staging", "context": {"cluster": "staging", "user": "opsbot"}}]}))
    config = KubernetesSettings(clusters={"eu-prod": KubeCluster(kubeconfig=str(kubeconfig), context="prod",
                                                                 aliases=["prod-eu-1"])})
    result = KubernetesEnricher(config).collect(group({"node": k8s.BAD_NODE, "cluster": "prod-eu-1"}))
    assert "NodeNotReady" in codes(result.findings)
    assert result.evidence[0].id == f"k8s:eu-prod:node/{k8s.BAD_NODE}"


def test_enriched_card_has_findings_evidence_summary_and_timings(fake: FakeKubernetes) -> None:
    k8s.oom_crashloop(fake)
    alert = group({"namespace": k8s.NS, "pod": k8s.OOM_POD})
    enrichment = enrich(alert, [KubernetesEnricher(settings_for(fake))], per_source_s=10, total_s=10)
    card = enriched_card(first_card(alert), enrichment)
    assert [f.code for f in card.findings][:2] == ["OOMKilled", "CrashLoopBackOff"]
    summary = card.evidence
    assert f"▸ Pod shop/{k8s.OOM_POD}" in summary and "last terminated OOMKilled exit 137" in summary
    assert "app (previous): " in summary and "java.lang.OutOfMemoryError" in summary
    assert card.footer.startswith("triaged · kubernetes ") and card.footer.endswith(" ms")
