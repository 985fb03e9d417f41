"""Analyzers on hand-built snapshots: stable codes, exit code meanings, thresholds, read-only next steps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from integrations.kubernetes.analyzer import analyze_node, analyze_pod, analyze_workload, exit_code_meaning
from integrations.kubernetes.models import (
    Condition,
    ContainerStatus,
    EventInfo,
    NodeSnapshot,
    Owner,
    PodSnapshot,
    Termination,
    WorkloadSnapshot,
)
from integrations.prometheus.analyzer import analyze_metrics
from integrations.prometheus.collector import QueryResult
from integrations.prometheus.series import SeriesSummary

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
MiB = 2**20
READ_ONLY_PREFIXES = ("kubectl describe", "kubectl get", "kubectl logs", "kubectl top", "kubectl rollout history",
                      "kubectl rollout status")


def pod(*containers: ContainerStatus, events: list[EventInfo] | None = None, owners: list[Owner] | None = None,
        conditions: list[Condition] | None = None) -> PodSnapshot:
    return PodSnapshot(namespace="shop", name="api-1", phase="Running", node="n1", containers=list(containers),
                       events=events or [], owners=owners or [], conditions=conditions or [])


def codes(findings: list[object]) -> list[str]:
    return [f.code for f in findings]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("code", "meaning"), [
    (0, "completed"), (1, "application error"), (127, "command not found"), (137, "SIGKILL"), (139, "SIGSEGV"),
    (143, "SIGTERM"), (134, "SIGABRT"), (3, "application-defined"), (None, "unknown"),
])
def test_exit_code_meanings(code: int | None, meaning: str) -> None:
    assert meaning in exit_code_meaning(code)


def test_crash_loop_with_segfault_is_not_oom() -> None:
    c = ContainerStatus(name="api", state="waiting", reason="CrashLoopBackOff", restart_count=9,
                        last_termination=Termination(reason="Error", exit_code=139))
    findings = analyze_pod(pod(c), "prod")
    assert codes(findings) == ["CrashLoopBackOff"]
    assert "139" in findings[0].explanation and "SIGSEGV" in findings[0].explanation
    assert findings[0].evidence_refs == ["k8s:prod:pod/shop/api-1", "k8s:prod:pod/shop/api-1/logs"]


def test_every_step_is_read_only() -> None:
    c = ContainerStatus(name="api", state="waiting", reason="CrashLoopBackOff", restart_count=3, memory_limit="1Gi",
                        last_termination=Termination(reason="OOMKilled", exit_code=137))
    owners = [Owner(kind="ReplicaSet", name="api-5f", created=NOW - timedelta(minutes=5), revision="3"),
              Owner(kind="Deployment", name="api")]
    findings = analyze_pod(pod(c, owners=owners), "prod", alert_start=NOW)
    assert codes(findings) == ["OOMKilled", "CrashLoopBackOff", "RecentRollout"]
    assert all(s.command.startswith(READ_ONLY_PREFIXES) for f in findings for s in f.steps)
    assert "5 min after a rollout of deployment/api" in findings[2].title


def test_rollout_alone_or_after_the_alert_is_not_a_finding() -> None:
    healthy = ContainerStatus(name="api", state="running", ready=True)
    owners = [Owner(kind="ReplicaSet", name="api-5f", created=NOW - timedelta(minutes=5))]
    assert analyze_pod(pod(healthy, owners=owners), "prod", alert_start=NOW) == []
    broken = ContainerStatus(name="api", state="waiting", reason="CrashLoopBackOff")
    later = [Owner(kind="ReplicaSet", name="api-5f", created=NOW + timedelta(minutes=5))]
    assert codes(analyze_pod(pod(broken, owners=later), "prod", alert_start=NOW)) == ["CrashLoopBackOff"]


def test_create_container_config_error_and_probe_failures() -> None:
    c = ContainerStatus(name="api", state="waiting", reason="CreateContainerConfigError",
                        message='configmap "api-config" not found')
    events = [EventInfo(type="Warning", reason="Unhealthy", count=4, last_seen=NOW,
                        message="Readiness probe failed: HTTP probe failed with statuscode: 503"),
              EventInfo(type="Warning", reason="Unhealthy", count=2, last_seen=NOW - timedelta(minutes=1),
                        message="Liveness probe failed: connection refused")]
    findings = analyze_pod(pod(c, events=events), "prod")
    assert codes(findings) == ["CreateContainerConfigError", "ProbeFailing", "ConfigRefMissing"]
    assert "api-config" in findings[0].explanation
    assert findings[1].title.startswith("Liveness and Readiness probe failing")
    assert "6 failures" in findings[1].explanation


@pytest.mark.parametrize(("message", "cause"), [
    ("0/5 nodes are available: 5 Insufficient cpu.", "insufficient CPU"),
    ("0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims.", "PersistentVolumeClaim"),
    ("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.", "node selector"),
])
def test_unschedulable_causes(message: str, cause: str) -> None:
    pending = PodSnapshot(namespace="shop", name="db-0", phase="Pending",
                          conditions=[Condition(type="PodScheduled", status="False", reason="Unschedulable",
                                                message=message)])
    (finding,) = analyze_pod(pending, "prod")
    assert finding.code == "Unschedulable" and cause in finding.explanation
    if "PersistentVolumeClaim" in cause:
        assert any(s.command == "kubectl get pvc -n shop" for s in finding.steps)


def test_node_conditions() -> None:
    node = NodeSnapshot(name="n1", conditions=[
        Condition(type="Ready", status="False", reason="KubeletNotReady", message="PLEG is not healthy"),
        Condition(type="MemoryPressure", status="True", reason="KubeletHasInsufficientMemory"),
        Condition(type="PIDPressure", status="False")])
    findings = analyze_node(node, "prod")
    assert codes(findings) == ["NodeNotReady", "NodeMemoryPressure"]
    assert findings[0].severity.value == "critical" and "PLEG" in findings[0].explanation
    assert analyze_node(NodeSnapshot(name="ok", conditions=[Condition(type="Ready", status="True")]), "prod") == []


def test_workload_rollout_stuck() -> None:
    w = WorkloadSnapshot(kind="Deployment", namespace="shop", name="api", desired=3, ready=1, conditions=[
        Condition(type="Progressing", status="False", reason="ProgressDeadlineExceeded",
                  message='ReplicaSet "api-5f" has timed out progressing.')])
    findings = analyze_workload(w, "prod")
    assert codes(findings) == ["RolloutStuck"] and "timed out" in findings[0].explanation


def memory(current: float, peak: float) -> list[QueryResult]:
    usage = SeriesSummary(labels={"container": "app"}, current=current, min=current / 2, max=peak, samples=60,
                          trend="rising")
    limit = SeriesSummary(labels={"container": "app"}, current=256 * MiB, samples=60)
    return [QueryResult(key="memory_working_set", title="", promql="", series=[usage]),
            QueryResult(key="memory_limit", title="", promql="", series=[limit])]


def test_memory_near_limit_threshold() -> None:
    refs = {"memory_working_set": "prom:memory_working_set", "memory_limit": "prom:memory_limit"}
    (finding,) = analyze_metrics(memory(200 * MiB, 250 * MiB), refs)
    assert finding.code == "MemoryNearLimit" and "98%" in finding.title and "250 MiB" in finding.explanation
    assert analyze_metrics(memory(100 * MiB, 200 * MiB), refs) == []  # 78 %: below the threshold


def test_cpu_throttled_threshold_and_failed_queries_are_ignored() -> None:
    throttled = QueryResult(key="cpu_throttled", title="", promql="", series=[
        SeriesSummary(labels={"container": "app"}, current=0.4, max=0.6, samples=10)])
    (finding,) = analyze_metrics([throttled], {"cpu_throttled": "prom:cpu_throttled"})
    assert finding.code == "CPUThrottled" and "60%" in finding.title
    calm = throttled.model_copy(update={"series": [SeriesSummary(current=0.01, max=0.1, samples=10)]})
    assert analyze_metrics([calm], {}) == []
    broken = throttled.model_copy(update={"error": "HTTP 503"})
    assert analyze_metrics([broken], {}) == []
