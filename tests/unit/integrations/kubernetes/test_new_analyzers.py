"""The analyzers of issue 20 on hand-built snapshots, each with a positive and a negative case; every step
they suggest is read-only and every fix passes the fix parser; the primary-problem order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.models import Finding
from handlers.shared.commands import check_fix, is_read_only
from integrations.kubernetes.analyzer import analyze_kubernetes
from integrations.kubernetes.models import (
    AutoscalerSnapshot,
    ClaimSnapshot,
    Condition,
    ContainerStatus,
    EventInfo,
    KubeSnapshot,
    LogTail,
    NodeSnapshot,
    Owner,
    PodSnapshot,
    Termination,
    Usage,
    Volume,
    WorkloadSnapshot,
)
from integrations.kubernetes.primary import ordered

NOW = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
SEEN: list[Finding] = []  # every finding of this module, for the step and fix checks at the end


def pod(*containers: ContainerStatus, events: list[EventInfo] | None = None, logs: list[str] | None = None,
        **fields: object) -> PodSnapshot:
    default = [ContainerStatus(name="api", ready=True, state="running")]
    listed = fields.pop("containers", None)
    return PodSnapshot(namespace="shop", name="api-7d9f8b6c5-x2x4z", phase=str(fields.pop("phase", "Running")),
                       node="worker-1", containers=listed if listed is not None else list(containers) or default,
                       events=events or [], logs=[LogTail(container="api", lines=logs)] if logs else [],
                       owners=[Owner(kind="ReplicaSet", name="api-7d9f8b6c5"), Owner(kind="Deployment", name="api")],
                       **fields)


def warning(reason: str, message: str, count: int = 1) -> EventInfo:
    return EventInfo(type="Warning", reason=reason, message=message, count=count, last_seen=NOW)


def codes(snapshot: KubeSnapshot) -> list[str]:
    findings = analyze_kubernetes(snapshot, alert_start=NOW)
    SEEN.extend(findings)
    return [f.code for f in ordered(findings)]


def pods(*items: PodSnapshot) -> KubeSnapshot:
    return KubeSnapshot(cluster="pasted", pods=list(items))


def crashing(code: int, reason: str = "Error") -> ContainerStatus:
    return ContainerStatus(name="api", state="waiting", reason="CrashLoopBackOff", restart_count=7,
                           last_termination=Termination(reason=reason, exit_code=code))


CASES = [
    # (name, snapshot, expected codes in primary order, codes that must not appear)
    ("exit 127", pods(pod(crashing(127))), ["CommandNotFound", "CrashLoopBackOff"], []),
    ("exec format error in the logs", pods(pod(crashing(255), logs=["exec /usr/local/bin/det: exec format error"])),
     ["CommandNotFound", "CrashLoopBackOff"], []),
    ("runtime cannot find the command", pods(pod(ContainerStatus(
        name="api", state="waiting", reason="RunContainerError", message='failed to create containerd task: exec: '
        '"python": executable file not found in $PATH: unknown'))), ["CommandNotFound"], []),
    ("exit 1 is no command problem", pods(pod(crashing(1))), ["CrashLoopBackOff"], ["CommandNotFound"]),
    ("missing secret key", pods(pod(ContainerStatus(name="api", state="waiting", reason="CreateContainerConfigError"),
                                    events=[warning("Failed", "Error: couldn't find key password in Secret "
                                                              "shop/db-creds")])),
     ["ConfigRefMissing", "CreateContainerConfigError"], []),
    ("configmap volume missing is not a volume problem", pods(pod(phase="Pending", events=[warning(
        "FailedMount", 'MountVolume.SetUp failed for volume "config" : configmap "api-config" not found')])),
     ["ConfigRefMissing"], ["VolumeMountFailed", "PVCPending"]),
    ("multi-attach", pods(pod(phase="Pending", volumes=[Volume(name="data", kind="persistentVolumeClaim",
                                                               source="data-db-0")],
                              events=[warning("FailedAttachVolume", 'Multi-Attach error for volume "pvc-1a2b" Volume '
                                              "is already exclusively attached to one node and can't be attached to "
                                              "another")])), ["VolumeMountFailed"], ["PVCPending"]),
    ("nfs mount timeout", pods(pod(phase="Pending", events=[warning(
        "FailedMount", 'MountVolume.SetUp failed for volume "media" : mount failed: exit status 32')])),
     ["VolumeMountFailed"], ["ConfigRefMissing"]),
    ("claim with a missing storage class", KubeSnapshot(cluster="pasted", claims=[ClaimSnapshot(
        namespace="shop", name="data-db-0", phase="Pending", storage_class="fast",
        events=[warning("ProvisioningFailed", 'storageclass.storage.k8s.io "fast" not found')])]), ["PVCPending"], []),
    ("claim waiting for its first consumer is normal", KubeSnapshot(cluster="pasted", claims=[ClaimSnapshot(
        namespace="shop", name="data-db-0", phase="Pending", events=[EventInfo(
            reason="WaitForFirstConsumer", message="waiting for first consumer to be created before binding")])]),
     [], ["PVCPending", "NoActiveFailure"]),
    ("bound claim", KubeSnapshot(cluster="pasted", claims=[ClaimSnapshot(namespace="shop", name="d", phase="Bound")]),
     ["NoActiveFailure"], ["PVCPending"]),
    ("a pod waits for an unbound claim", pods(pod(phase="Pending", containers=[], events=[warning(
        "FailedScheduling", "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.")])),
     ["PVCPending", "Unschedulable"], []),
    ("dns in the logs", pods(pod(crashing(1), logs=["dial tcp: lookup orders-db on 10.96.0.10:53: no such host"])),
     ["DNSFailure", "CrashLoopBackOff"], ["DependencyRefused"]),
    ("the word dns is not a failure", pods(pod(logs=["INFO dns cache warmed, 42 entries"])), ["NoActiveFailure"],
     ["DNSFailure"]),
    ("refused in the logs", pods(pod(crashing(1), logs=["ERROR dial tcp 10.96.12.4:5432: connect: connection "
                                                        "refused"])),
     ["DependencyRefused", "CrashLoopBackOff"], []),
    ("refused in a probe is not a dependency", pods(pod(events=[warning(
        "Unhealthy", 'Liveness probe failed: Get "http://10.1.2.3:8080/healthz": dial tcp 10.1.2.3:8080: connect: '
        'connection refused')])), ["ProbeFailing"], ["DependencyRefused", "ReadinessFailing"]),
    ("evicted for memory", pods(pod(phase="Failed", reason="Evicted", containers=[ContainerStatus(name="api")],
                                    message="The node was low on resource: memory. Container api was using 3Gi.")),
     ["Evicted"], []),
    ("hpa at max", KubeSnapshot(cluster="pasted", autoscalers=[AutoscalerSnapshot(
        namespace="shop", name="web", target="Deployment/web", min_replicas=2, max_replicas=8, current=8, desired=8)]),
     ["HPAAtMax"], []),
    ("hpa with room", KubeSnapshot(cluster="pasted", autoscalers=[AutoscalerSnapshot(
        namespace="shop", name="web", min_replicas=2, max_replicas=8, current=4, desired=4)]),
     ["NoActiveFailure"], ["HPAAtMax"]),
    ("hpa at max in a table, below target", KubeSnapshot(cluster="pasted", autoscalers=[AutoscalerSnapshot(
        namespace="shop", name="web", min_replicas=2, max_replicas=8, current=8, metrics=["cpu: 35%/60%"])]),
     [], ["HPAAtMax"]),
    ("init container exits 1", pods(pod(ContainerStatus(name="migrate", init=True, state="terminated", exit_code=1,
                                                        reason="Error", restart_count=3),
                                        ContainerStatus(name="api", state="waiting", reason="PodInitializing"),
                                        phase="Pending")), ["InitContainerFailing"], []),
    ("init container done", pods(pod(ContainerStatus(name="migrate", init=True, state="terminated", exit_code=0,
                                                     reason="Completed"),
                                     ContainerStatus(name="api", ready=True, state="running"))),
     ["NoActiveFailure"], ["InitContainerFailing"]),
    ("readiness only", pods(pod(ContainerStatus(name="api", state="running"), events=[warning(
        "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503", 98)])),
     ["ReadinessFailing"], ["ProbeFailing", "CrashLoopBackOff"]),
    ("readiness gate unmet", pods(pod(readiness_gates=["target-health.elbv2.k8s.aws/x"], conditions=[
        Condition(type="target-health.elbv2.k8s.aws/x", status="False")])), ["ReadinessFailing"], ["NoActiveFailure"]),
    ("readiness gate met", pods(pod(readiness_gates=["g"], conditions=[Condition(type="g", status="True")])),
     ["NoActiveFailure"], ["ReadinessFailing"]),
    ("top near the memory limit", pods(pod(ContainerStatus(name="store", ready=True, state="running",
                                                           memory_limit="4Gi"),
                                           usage=[Usage(container="store", memory_bytes=3871 * 2**20)])),
     ["MemoryNearLimit"], ["NoActiveFailure"]),
    ("top far from the limit", pods(pod(ContainerStatus(name="store", ready=True, state="running", memory_limit="4Gi"),
                                        usage=[Usage(container="store", memory_bytes=1024 * 2**20)])),
     ["NoActiveFailure"], ["MemoryNearLimit"]),
    ("healthy node", KubeSnapshot(cluster="pasted", nodes=[NodeSnapshot(name="w1", conditions=[
        Condition(type="Ready", status="True")])]), ["NoActiveFailure"], []),
]


@pytest.mark.parametrize(("snapshot", "expected", "absent"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_analyzers(snapshot: KubeSnapshot, expected: list[str], absent: list[str]) -> None:
    found = codes(snapshot)
    assert found[:len(expected)] == expected and not set(found) & set(absent), found


def job(*conditions: Condition, events: list[EventInfo] | None = None, **status: object) -> WorkloadSnapshot:
    return WorkloadSnapshot(kind="Job", namespace="batch", name="report", desired=1, conditions=list(conditions),
                            events=events or [], status=status, spec={"backoffLimit": 2, "activeDeadlineSeconds": 600})


def test_job_failed_names_the_limit_and_its_pods_exit_codes() -> None:
    failed = job(Condition(type="Failed", status="True", reason="BackoffLimitExceeded",
                           message="Job has reached the specified backoff limit"), failed=3)
    its_pod = PodSnapshot(namespace="batch", name="report-x7k2p", phase="Failed", owners=[Owner(kind="Job",
                                                                                                name="report")],
                          containers=[ContainerStatus(name="r", state="terminated", exit_code=137, reason="OOMKilled")])
    findings = ordered(analyze_kubernetes(KubeSnapshot(cluster="pasted", workloads=[failed], pods=[its_pod])))
    SEEN.extend(findings)
    assert [f.code for f in findings] == ["JobFailed", "OOMKilled"]
    assert "backoffLimit 2" in findings[0].explanation and "137" in findings[0].explanation
    deadline = analyze_kubernetes(KubeSnapshot(cluster="pasted", workloads=[job(events=[warning(
        "DeadlineExceeded", "Job was active longer than specified deadline")])]))
    assert deadline[0].code == "JobFailed" and "activeDeadlineSeconds (600" in deadline[0].explanation
    complete = job(Condition(type="Complete", status="True"), succeeded=1)
    assert [f.code for f in analyze_kubernetes(KubeSnapshot(cluster="pasted", workloads=[complete]))] == [
        "NoActiveFailure"]


def test_quota_exceeded_from_the_controllers_event_and_not_from_other_create_failures() -> None:
    rs = WorkloadSnapshot(kind="ReplicaSet", namespace="team-a", name="reporting-5f6", events=[warning(
        "FailedCreate", 'Error creating: pods "reporting-5f6-" is forbidden: exceeded quota: compute, requested: '
        "limits.memory=2Gi, used: limits.memory=7Gi, limited: limits.memory=8Gi", 12)])
    (finding,) = analyze_kubernetes(KubeSnapshot(cluster="pasted", workloads=[rs]))
    SEEN.append(finding)
    assert finding.code == "QuotaExceeded" and "limited limits.memory=8Gi" in finding.explanation
    assert finding.steps[0].command == "kubectl describe resourcequota -n team-a compute"
    other = rs.model_copy(update={"events": [warning("FailedCreate", 'Error creating: pods "x" is forbidden: '
                                                     "violates PodSecurity \"restricted:latest\"")]})
    found = analyze_kubernetes(KubeSnapshot(cluster="pasted", workloads=[other]))
    assert "QuotaExceeded" not in [f.code for f in found]


def test_a_failing_pod_never_says_no_active_failure() -> None:
    assert "NoActiveFailure" not in codes(pods(pod(crashing(1))))
    assert codes(KubeSnapshot(cluster="pasted")) == []  # nothing read: nothing to say


def test_new_findings_link_their_runbook_section() -> None:
    found = {f.code: f for f in SEEN}
    for code in ("CommandNotFound", "ConfigRefMissing", "VolumeMountFailed", "PVCPending", "DNSFailure",
                 "DependencyRefused", "Evicted", "HPAAtMax", "InitContainerFailing", "QuotaExceeded",
                 "ReadinessFailing", "JobFailed"):
        assert any(code in d.title for d in found[code].docs), code


def test_every_step_is_read_only_and_every_fix_passes_the_fix_parser() -> None:
    assert SEEN
    for finding in SEEN:
        for step in finding.steps:
            assert is_read_only(step.command), step.command
        for fix in finding.fixes:
            assert check_fix(fix.command, fix.caution) is None, fix.command
