"""Kubernetes evidence through the official client against a fake API server speaking the documented JSON:
OOMKilled crash loop, image pull failure, unschedulable pod, node not ready, workload alerts, a hanging API."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.events import AlertGroup
from handlers.evidence import KubernetesEnricher, kubernetes_factory
from handlers.triage import enrich, enriched_card, first_card
from integrations.kubernetes.client import ReadOnlyKube
from integrations.kubernetes.collector import cap_log, target_of
from integrations.kubernetes.config import KubeCluster, KubernetesSettings
from tests.fakes import kubernetes_api as k8s
from tests.fakes.kubernetes_api import FakeKubernetes

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def fake() -> Iterator[FakeKubernetes]:
    with FakeKubernetes().run_in_thread() as server:
        yield server
        server.delay_s = 0  # release hanging requests so the server stops at once


def settings_for(fake: FakeKubernetes, **overrides: Any) -> KubernetesSettings:
    return KubernetesSettings(clusters={"prod": KubeCluster(host=fake.base_url, token=k8s.TOKEN)}, **overrides)


def group(labels: dict[str, str], *, minutes_ago: int = 5, name: str = "KubePodCrashLooping") -> AlertGroup:
    return AlertGroup.model_validate({
        "version": "4", "groupKey": "{}:{alertname=\"x\"}", "status": "firing", "receiver": "opsbot",
        "commonLabels": {"alertname": name, **labels}, "commonAnnotations": {"summary": f"{name} fired"},
        "alerts": [{"status": "firing", "labels": {"alertname": name, "severity": "critical", **labels},
                    "annotations": {}, "fingerprint": "f1",
                    "startsAt": (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()}]})


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


def test_log_tail_is_capped_by_lines_and_bytes() -> None:
    text = "".join(f"line {i} token=abcdef{i}\n" for i in range(1000))
    tail = cap_log(text, "app", False, max_lines=50, max_bytes=600)
    assert tail.truncated and len("\n".join(tail.lines).encode()) <= 600 and len(tail.lines) <= 50
    assert tail.lines[-1] == "line 999 token=[redacted]"
    assert not tail.lines[0].startswith("ine")  # the partial first line is dropped


def test_targets_from_alert_labels() -> None:
    assert target_of({"namespace": "a", "pod": "p"}).scope == "pod"  # type: ignore[union-attr]
    assert target_of({"namespace": "a", "statefulset": "db"}).kind == "StatefulSet"  # type: ignore[union-attr]
    assert target_of({"namespace": "a", "job_name": "backup"}).kind == "Job"  # type: ignore[union-attr]
    assert target_of({"node": "n1"}).scope == "node"  # type: ignore[union-attr]
    assert target_of({"namespace": "a", "job": "prometheus"}) is None  # a scrape job is not a Job
    assert target_of({"instance": "10.0.0.1:9100"}) is None


def test_not_configured_is_a_line_only_when_evidence_is_set_up(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.config import Settings

    assert kubernetes_factory(Settings()) is None
    enricher = kubernetes_factory(Settings(prometheus={"url": "http://127.0.0.1:9"}))  # type: ignore[arg-type]
    assert enricher is not None
    alert = group({"namespace": k8s.NS, "pod": k8s.OOM_POD})
    assert enricher.applies(alert)
    assert "not configured" in enricher.collect(alert).unavailable[0].reason


def test_read_only_by_construction() -> None:
    public = [name for name, _ in inspect.getmembers(ReadOnlyKube, inspect.isfunction) if not name.startswith("_")]
    assert public and all(name.startswith(("read_", "list_")) or name == "close" for name in public)
    source = inspect.getsource(ReadOnlyKube)
    for verb in ("create_", "patch_", "replace_", "delete_", "connect_", "secret"):
        assert verb not in source


def test_rbac_grants_only_read_verbs_and_nothing_on_secrets() -> None:
    docs = list(yaml.safe_load_all((REPO / "deploy" / "kubernetes" / "rbac.yaml").read_text()))
    role = next(d for d in docs if d["kind"] == "ClusterRole")
    resources = {r for rule in role["rules"] for r in rule["resources"]}
    assert {"pods", "pods/log", "events", "nodes", "replicasets", "deployments", "statefulsets", "daemonsets",
            "jobs"} <= resources
    assert "secrets" not in resources and "*" not in resources
    assert {v for rule in role["rules"] for v in rule["verbs"]} <= {"get", "list", "watch"}
    binding = next(d for d in docs if d["kind"] == "ClusterRoleBinding")
    assert binding["roleRef"]["name"] == role["metadata"]["name"]


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


def test_cluster_settings_validation() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        KubeCluster(in_cluster=True, host="https://k8s:6443")
    with pytest.raises(ValueError, match="exactly one"):
        KubeCluster()
    two = KubernetesSettings(clusters={"a": KubeCluster(in_cluster=True), "b": KubeCluster(context="b")},
                             default_cluster="a")
    assert two.resolve(None) == "a" and two.resolve("b") == "b" and two.resolve("c") is None
    assert KubernetesSettings(clusters={"only": KubeCluster(in_cluster=True)}).resolve(None) == "only"
    with pytest.raises(ValueError, match="default_cluster"):
        KubernetesSettings(clusters={"a": KubeCluster(in_cluster=True)}, default_cluster="zz")


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.config import load_settings

    monkeypatch.delenv("OPSBOT_CONFIG", raising=False)
    monkeypatch.setenv("OPSBOT_KUBERNETES__CLUSTERS", '{"prod": {"host": "https://k8s:6443", "token": "tok-9"}}')
    monkeypatch.setenv("OPSBOT_KUBERNETES__LOG_TAIL_LINES", "20")
    monkeypatch.setenv("OPSBOT_PROMETHEUS__URL", "http://prometheus:9090")
    monkeypatch.setenv("OPSBOT_OPENSEARCH__URL", "https://opensearch:9200")
    monkeypatch.setenv("OPSBOT_OPENSEARCH__FIELDS__NAMESPACE", "k8s.ns")
    settings = load_settings()
    assert settings.kubernetes.clusters["prod"].host == "https://k8s:6443"
    assert settings.kubernetes.log_tail_lines == 20
    assert settings.prometheus.enabled and settings.opensearch.fields.namespace == "k8s.ns"
    assert "tok-9" not in repr(settings.kubernetes.clusters["prod"].token)


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
