"""Kubernetes analyzers: deterministic findings from pod, node and workload snapshots, before any LLM sees it.

Each finding has a stable code (OOMKilled, CrashLoopBackOff, ...), the evidence it rests on, and
read-only next steps. Pure functions over the collectors' snapshots, so they are tested alone.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from core.models import DocRef, Finding, Severity, Step
from integrations.kubernetes.evidence import logs_id, node_id, pod_id, workload_id
from integrations.kubernetes.models import (
    ContainerStatus,
    EventInfo,
    KubeSnapshot,
    NodeSnapshot,
    PodSnapshot,
    WorkloadSnapshot,
)

K8S_DOCS = "https://kubernetes.io/docs"
DEBUG_PODS = DocRef(title="Debug Pods", url=f"{K8S_DOCS}/tasks/debug/debug-application/debug-pods/")

# Exit codes with a known meaning; 128+N is "killed by signal N".
EXIT_CODES = {
    0: "completed successfully", 1: "application error", 2: "misuse of a shell builtin or bad arguments",
    126: "command found but not executable", 127: "command not found (wrong entrypoint or image)",
    128: "invalid exit argument",
}
SIGNALS = {1: "SIGHUP", 2: "SIGINT", 6: "SIGABRT (abort, e.g. failed assertion)", 9: "SIGKILL (killed: OOM killer "
           "or the kubelet after the grace period)", 11: "SIGSEGV (segmentation fault)", 15: "SIGTERM (asked to stop)"}

UNSCHEDULABLE_CAUSES = (
    (re.compile(r"Insufficient cpu", re.I), "insufficient CPU on every fitting node"),
    (re.compile(r"Insufficient memory", re.I), "insufficient memory on every fitting node"),
    (re.compile(r"untolerated taint|had taints?", re.I), "node taints the pod does not tolerate"),
    (re.compile(r"unbound (immediate )?PersistentVolumeClaim|persistentvolumeclaim .* not found|volume node affinity",
                re.I), "a PersistentVolumeClaim is not bound"),
    (re.compile(r"node affinity|node selector|didn't match", re.I), "no node matches its node selector/affinity"),
    (re.compile(r"Too many pods", re.I), "nodes are at their pod limit"),
)
PRESSURE_CODES = {"MemoryPressure": "NodeMemoryPressure", "DiskPressure": "NodeDiskPressure",
                  "PIDPressure": "NodePIDPressure", "NetworkUnavailable": "NodeNetworkUnavailable"}


def exit_code_meaning(code: int | None) -> str:
    if code is None:
        return "unknown exit code"
    if code in EXIT_CODES:
        return EXIT_CODES[code]
    if 128 < code < 160:
        return f"killed by signal {code - 128}: {SIGNALS.get(code - 128, 'signal')}"
    return "application-defined exit code"


def _describe(pod: PodSnapshot) -> Step:
    return Step(command=f"kubectl describe pod -n {pod.namespace} {pod.name}", why="state, events, limits")


def _events_step(namespace: str, name: str) -> Step:
    return Step(command=f"kubectl get events -n {namespace} --field-selector involvedObject.name={name} "
                        "--sort-by=.lastTimestamp", why="what the cluster said about it, in order")


def _logs_step(pod: PodSnapshot, container: str, previous: bool) -> Step:
    flag = " --previous" if previous else ""
    return Step(command=f"kubectl logs -n {pod.namespace} {pod.name} -c {container}{flag}",
                why="the last output of the crashed container" if previous else "current output")


def _oomkilled(c: ContainerStatus) -> bool:
    return c.reason == "OOMKilled" or (c.last_termination is not None and c.last_termination.reason == "OOMKilled")


def _events_matching(events: list[EventInfo], *reasons: str) -> list[EventInfo]:
    return [e for e in events if e.reason in reasons]


def analyze_pod(pod: PodSnapshot, cluster: str, alert_start: datetime | None = None,
                rollout_window_s: int = 1800) -> list[Finding]:
    ref, log_ref = pod_id(cluster, pod), logs_id(cluster, pod)
    where = f"{pod.namespace}/{pod.name}"
    findings: list[Finding] = []
    for c in pod.containers:
        last = c.last_termination
        if _oomkilled(c):
            limit = f" (memory limit {c.memory_limit})" if c.memory_limit else " (no memory limit set)"
            findings.append(Finding(
                code="OOMKilled", severity=Severity.error, title=f"Container {c.name} of {where} was OOM-killed",
                explanation=f"The kernel killed it for exceeding its memory{limit}; exit code 137, restarted "
                            f"{c.restart_count} times.",
                evidence_refs=[ref, log_ref],
                steps=[_describe(pod), _logs_step(pod, c.name, True),
                       Step(command=f"kubectl top pod -n {pod.namespace} {pod.name} --containers",
                            why="memory use now versus the limit")],
                docs=[DocRef(title="Assign memory resources", url=f"{K8S_DOCS}/tasks/configure-pod-container/"
                             "assign-memory-resource/")]))
        if c.reason == "CrashLoopBackOff":
            code = last.exit_code if last else None
            findings.append(Finding(
                code="CrashLoopBackOff", severity=Severity.error,
                title=f"Container {c.name} of {where} is crash looping",
                explanation=f"Restarted {c.restart_count} times; last exit code {code}: {exit_code_meaning(code)}"
                            + (f" ({last.reason})" if last and last.reason else "") + ".",
                evidence_refs=[ref, log_ref],
                steps=[_logs_step(pod, c.name, True), _describe(pod)], docs=[DEBUG_PODS]))
        if c.reason in ("ImagePullBackOff", "ErrImagePull", "InvalidImageName"):
            pulls = _events_matching(pod.events, "Failed", "BackOff")
            detail = next((e.message for e in pulls if "failed to pull" in e.message.lower()), c.message)
            findings.append(Finding(
                code="ImagePullBackOff", severity=Severity.error,
                title=f"Image of {c.name} in {where} cannot be pulled",
                explanation=f"{c.image or 'the image'}: {detail or c.reason}. Check the name/tag, the registry's "
                            "reachability and the pull secret.",
                evidence_refs=[ref], steps=[_describe(pod), _events_step(pod.namespace, pod.name)],
                docs=[DocRef(title="Images", url=f"{K8S_DOCS}/concepts/containers/images/")]))
        if c.reason in ("CreateContainerConfigError", "CreateContainerError"):
            findings.append(Finding(
                code="CreateContainerConfigError", severity=Severity.error,
                title=f"Container {c.name} of {where} cannot be created",
                explanation=(c.message or "a referenced ConfigMap, Secret or key is missing") + ".",
                evidence_refs=[ref],
                steps=[_describe(pod), Step(command=f"kubectl get configmaps,secrets -n {pod.namespace}",
                                            why="does the referenced object exist (names only)")]))
    findings += _unschedulable(pod, ref)
    findings += _probes(pod, ref)
    rollout = recent_rollout(pod, ref, alert_start, rollout_window_s)
    if rollout and findings:  # a rollout is only worth a line when something is wrong
        findings.append(rollout)
    return findings


def _unschedulable(pod: PodSnapshot, ref: str) -> list[Finding]:
    scheduled = next((c for c in pod.conditions if c.type == "PodScheduled"), None)
    failed = _events_matching(pod.events, "FailedScheduling")
    if not failed and not (scheduled and scheduled.status == "False"):
        return []
    message = failed[0].message if failed else (scheduled.message if scheduled else "")
    causes = [cause for pattern, cause in UNSCHEDULABLE_CAUSES if pattern.search(message)]
    steps = [_describe(pod), Step(command="kubectl describe nodes | grep -A8 'Allocated resources'",
                                  why="requests versus allocatable per node")]
    if any("PersistentVolumeClaim" in c for c in causes):
        steps.append(Step(command=f"kubectl get pvc -n {pod.namespace}", why="which claim is Pending"))
    return [Finding(code="Unschedulable", severity=Severity.error, title=f"Pod {pod.namespace}/{pod.name} cannot be "
                    "scheduled", explanation=(f"Cause: {'; '.join(causes)}. " if causes else "") + message,
                    evidence_refs=[ref], steps=steps)]


def _probes(pod: PodSnapshot, ref: str) -> list[Finding]:
    unhealthy = [e for e in _events_matching(pod.events, "Unhealthy") if "probe failed" in e.message.lower()]
    if not unhealthy:
        return []
    kinds = sorted({e.message.split(" probe")[0] for e in unhealthy})
    latest = unhealthy[0]
    return [Finding(code="ProbeFailing", severity=Severity.warning,
                    title=f"{' and '.join(kinds)} probe failing on {pod.namespace}/{pod.name}",
                    explanation=f"{sum(e.count for e in unhealthy)} failures; latest: {latest.message}",
                    evidence_refs=[ref], steps=[_describe(pod), _events_step(pod.namespace, pod.name)],
                    docs=[DocRef(title="Configure probes", url=f"{K8S_DOCS}/tasks/configure-pod-container/"
                                 "configure-liveness-readiness-startup-probes/")])]


def recent_rollout(pod: PodSnapshot, ref: str, alert_start: datetime | None, window_s: int) -> Finding | None:
    """The pod's ReplicaSet (its revision) was created shortly before the alert started."""
    rs = next((o for o in pod.owners if o.kind == "ReplicaSet"), None)
    top = next((o for o in pod.owners if o.kind in ("Deployment", "StatefulSet", "DaemonSet")), None)
    if rs is None or rs.created is None or alert_start is None:
        return None
    lead = alert_start - rs.created
    if not timedelta(0) <= lead <= timedelta(seconds=window_s):
        return None
    target = f"{top.kind.lower()}/{top.name}" if top else f"replicaset/{rs.name}"
    minutes = max(1, round(lead.total_seconds() / 60))
    return Finding(code="RecentRollout", severity=Severity.warning,
                   title=f"The failure started {minutes} min after a rollout of {target}",
                   explanation=f"ReplicaSet {rs.name} (revision {rs.revision or '?'}) was created at "
                               f"{rs.created:%H:%M:%S} UTC, {minutes} min before the alert. A change in that "
                               "rollout is the first suspect.",
                   evidence_refs=[ref],
                   steps=[Step(command=f"kubectl rollout history -n {pod.namespace} {target}",
                               why="what changed between revisions"),
                          Step(command=f"kubectl rollout status -n {pod.namespace} {target}", why="is it still going")])


def analyze_node(node: NodeSnapshot, cluster: str) -> list[Finding]:
    ref = node_id(cluster, node)
    findings: list[Finding] = []
    describe = Step(command=f"kubectl describe node {node.name}", why="conditions, taints, allocated resources")
    for c in node.conditions:
        if c.type == "Ready" and c.status != "True":
            findings.append(Finding(code="NodeNotReady", severity=Severity.critical, title=f"Node {node.name} is "
                                    f"NotReady ({c.status})", explanation=f"{c.reason}: {c.message}".strip(": "),
                                    evidence_refs=[ref],
                                    steps=[describe, Step(command=f"kubectl get pods -A --field-selector "
                                                          f"spec.nodeName={node.name} -o wide",
                                                          why="what runs there")]))
        elif c.type in PRESSURE_CODES and c.status == "True":
            findings.append(Finding(code=PRESSURE_CODES[c.type], severity=Severity.warning,
                                    title=f"Node {node.name} reports {c.type}",
                                    explanation=f"{c.reason}: {c.message}".strip(": ")
                                    + " The kubelet may evict pods.", evidence_refs=[ref], steps=[describe],
                                    docs=[DocRef(title="Node-pressure eviction",
                                                 url=f"{K8S_DOCS}/concepts/scheduling-eviction/node-pressure-eviction/")]))
    return findings


def analyze_workload(w: WorkloadSnapshot, cluster: str, alert_start: datetime | None = None,
                     rollout_window_s: int = 1800) -> list[Finding]:
    ref = workload_id(cluster, w)
    target = f"{w.kind.lower()}/{w.name}"
    findings: list[Finding] = []
    stuck = next((c for c in w.conditions if c.type == "Progressing" and c.reason == "ProgressDeadlineExceeded"), None)
    if stuck:
        findings.append(Finding(code="RolloutStuck", severity=Severity.error, title=f"Rollout of {target} is stuck",
                                explanation=stuck.message, evidence_refs=[ref],
                                steps=[Step(command=f"kubectl rollout status -n {w.namespace} {target}",
                                            why="progress of the rollout"),
                                       Step(command=f"kubectl rollout history -n {w.namespace} {target}",
                                            why="what changed")]))
    elif w.desired is not None and w.ready is not None and w.ready < w.desired:
        findings.append(Finding(code="ReplicasMismatch", severity=Severity.warning,
                                title=f"{w.kind} {w.namespace}/{w.name}: {w.ready} of {w.desired} ready",
                                evidence_refs=[ref],
                                steps=[Step(command=f"kubectl get pods -n {w.namespace} -o wide", why="which pods")]))
    for pod in w.pods:
        findings += analyze_pod(pod, cluster, alert_start, rollout_window_s)
    return findings


def analyze_kubernetes(snapshot: KubeSnapshot, alert_start: datetime | None = None,
                       rollout_window_s: int = 1800) -> list[Finding]:
    findings: list[Finding] = []
    for pod in snapshot.pods:
        findings += analyze_pod(pod, snapshot.cluster, alert_start, rollout_window_s)
    for node in snapshot.nodes:
        findings += analyze_node(node, snapshot.cluster)
    for w in snapshot.workloads:
        findings += analyze_workload(w, snapshot.cluster, alert_start, rollout_window_s)
    return dedupe(findings)


def dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for finding in findings:
        if (finding.code, finding.title) not in seen:
            seen.add((finding.code, finding.title))
            unique.append(finding)
    return unique
