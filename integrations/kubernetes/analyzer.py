"""Kubernetes analyzers: deterministic findings from pod, node and workload snapshots, before any LLM sees it.

Each finding has a stable code (OOMKilled, CrashLoopBackOff, ...), the evidence it rests on, and
read-only next steps. Pure functions over the snapshots, so they are tested alone; the live collector
and pasted kubectl output (`integrations.kubernetes.paste`) both end in `analyze_kubernetes`. The
causes of `causes` (pods) and `object_causes` (Jobs, quotas, HPAs, claims) run from here.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from core.models import DocRef, Finding, Severity, Step
from integrations.kubernetes import signals, steps
from integrations.kubernetes.causes import analyze_causes
from integrations.kubernetes.evidence import autoscaler_id, claim_id, logs_id, node_id, pod_id, workload_id
from integrations.kubernetes.exit_codes import EXIT_CODES, SIGNALS, exit_code_meaning
from integrations.kubernetes.models import (
    ClaimSnapshot,
    ContainerStatus,
    EventInfo,
    KubeSnapshot,
    NodeSnapshot,
    PodSnapshot,
    WorkloadSnapshot,
)
from integrations.kubernetes.object_causes import hpa_at_max, job_failed, pvc_pending, quota_exceeded
from integrations.kubernetes.quantity import format_bytes, parse_bytes
from integrations.prometheus.analyzer import MEMORY_NEAR_LIMIT

__all__ = ["EXIT_CODES", "SIGNALS", "analyze_kubernetes", "analyze_node", "analyze_pod", "analyze_workload",
           "exit_code_meaning"]

K8S_DOCS = steps.K8S_DOCS
DEBUG_PODS = DocRef(title="Debug Pods", url=f"{K8S_DOCS}/tasks/debug/debug-application/debug-pods/")

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


def _describe(pod: PodSnapshot) -> Step:
    return steps.describe("pod", pod.namespace, pod.name)


def _events_step(namespace: str, name: str) -> Step:
    return steps.events(namespace, name)


def _logs_step(pod: PodSnapshot, container: str, previous: bool) -> Step:
    return steps.logs(pod.namespace, pod.name, container, previous)


def _named(c: ContainerStatus) -> str:
    """A container from a `get pods` table has no name."""
    return f"{'Init container' if c.init else 'Container'} {c.name}" if c.name else "A container"


def _oomkilled(c: ContainerStatus) -> bool:
    return c.reason == "OOMKilled" or (c.last_termination is not None and c.last_termination.reason == "OOMKilled")


def _events_matching(events: list[EventInfo], *reasons: str) -> list[EventInfo]:
    return [e for e in events if e.reason in reasons]


def analyze_pod(pod: PodSnapshot, cluster: str, alert_start: datetime | None = None,
                rollout_window_s: int = 1800) -> list[Finding]:
    ref, log_ref = pod_id(cluster, pod), logs_id(cluster, pod)
    where = f"{pod.namespace}/{pod.name}" if pod.namespace else pod.name
    findings: list[Finding] = []
    for c in pod.containers:
        last = c.last_termination
        if _oomkilled(c):
            limit = f" (memory limit {c.memory_limit})" if c.memory_limit else " (no memory limit set)"
            findings.append(Finding(
                code="OOMKilled", severity=Severity.error, title=f"{_named(c)} of {where} was OOM-killed",
                explanation=f"The kernel killed it for exceeding its memory{limit}; exit code 137, restarted "
                            f"{c.restart_count} times.",
                evidence_refs=[ref, log_ref],
                steps=[_describe(pod), _logs_step(pod, c.name, True),
                       Step(command=f"kubectl top pod {steps.ns(pod.namespace)}{pod.name} --containers",
                            why="memory use now versus the limit")],
                docs=[DocRef(title="Assign memory resources", url=f"{K8S_DOCS}/tasks/configure-pod-container/"
                             "assign-memory-resource/")]))
        if c.reason == "CrashLoopBackOff":
            code = last.exit_code if last else None
            findings.append(Finding(
                code="CrashLoopBackOff", severity=Severity.error,
                title=f"{_named(c)} of {where} is crash looping",
                explanation=f"Restarted {c.restart_count} times; last exit code {code}: {exit_code_meaning(code)}"
                            + (f" ({last.reason})" if last and last.reason else "") + ".",
                evidence_refs=[ref, log_ref],
                steps=[_logs_step(pod, c.name, True), _describe(pod)], docs=[DEBUG_PODS]))
        if c.reason in ("ImagePullBackOff", "ErrImagePull", "InvalidImageName"):
            pulls = _events_matching(pod.events, "Failed", "BackOff")
            detail = next((e.message for e in pulls if "failed to pull" in e.message.lower()), c.message)
            findings.append(Finding(
                code="ImagePullBackOff", severity=Severity.error,
                title=f"Image of {c.name or 'a container'} in {where} cannot be pulled",
                explanation=f"{c.image or 'the image'}: {detail or c.reason}. Check the name/tag, the registry's "
                            "reachability and the pull secret.",
                evidence_refs=[ref], steps=[_describe(pod), _events_step(pod.namespace, pod.name)],
                docs=[DocRef(title="Images", url=f"{K8S_DOCS}/concepts/containers/images/")]))
        if c.reason in ("CreateContainerConfigError", "CreateContainerError"):
            findings.append(Finding(
                code="CreateContainerConfigError", severity=Severity.error,
                title=f"{_named(c)} of {where} cannot be created",
                explanation=(c.message or "a referenced ConfigMap, Secret or key is missing") + ".",
                evidence_refs=[ref],
                steps=[_describe(pod), steps.get("configmaps,secrets", pod.namespace,
                                                 "does the referenced object exist (names only)")]))
    findings += _unschedulable(pod, ref)
    findings += _probes(pod, ref)
    findings += analyze_causes(pod, [ref, log_ref] if pod.logs else [ref])
    findings += memory_near_limit(pod, ref)
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
    found = [_describe(pod), Step(command="kubectl describe nodes",
                                  why="Allocated resources: requests versus allocatable per node")]
    if any("PersistentVolumeClaim" in c for c in causes):
        found.append(steps.get("pvc", pod.namespace, "which claim is Pending"))
    where = f"{pod.namespace}/{pod.name}" if pod.namespace else pod.name
    return [Finding(code="Unschedulable", severity=Severity.error, title=f"Pod {where} cannot be "
                    "scheduled", explanation=(f"Cause: {'; '.join(causes)}. " if causes else "") + message,
                    evidence_refs=[ref], steps=found)]


def _probes(pod: PodSnapshot, ref: str) -> list[Finding]:
    unhealthy = [e for e in _events_matching(pod.events, "Unhealthy") if "probe failed" in e.message.lower()]
    if not any(signals.LIVENESS.search(e.message) for e in unhealthy):
        return []  # readiness alone does not restart the container: causes.readiness_failing says it
    kinds = sorted({e.message.split(" probe")[0] for e in unhealthy})
    latest = unhealthy[0]
    where = f"{pod.namespace}/{pod.name}" if pod.namespace else pod.name
    return [Finding(code="ProbeFailing", severity=Severity.warning,
                    title=f"{' and '.join(kinds)} probe failing on {where}",
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
                   steps=[Step(command=f"kubectl rollout history {steps.ns(pod.namespace)}{target}",
                               why="what changed between revisions"),
                          Step(command=f"kubectl rollout status {steps.ns(pod.namespace)}{target}",
                               why="is it still going")],
                   fixes=[steps.rollback(pod.namespace, target, "the failure started with this rollout")]
                   if top else [])


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
                     rollout_window_s: int = 1800, pods: list[PodSnapshot] | None = None) -> list[Finding]:
    """`pods`: the other pods of the snapshot (a Job's pods pasted beside it); its own `w.pods` count too."""
    ref = workload_id(cluster, w)
    target = f"{w.kind.lower()}/{w.name}"
    where = f"{w.namespace}/{w.name}" if w.namespace else w.name
    findings: list[Finding] = []
    stuck = next((c for c in w.conditions if c.type == "Progressing" and c.reason == "ProgressDeadlineExceeded"), None)
    if stuck:
        findings.append(Finding(code="RolloutStuck", severity=Severity.error, title=f"Rollout of {target} is stuck",
                                explanation=stuck.message, evidence_refs=[ref],
                                steps=[Step(command=f"kubectl rollout status {steps.ns(w.namespace)}{target}",
                                            why="progress of the rollout"),
                                       Step(command=f"kubectl rollout history {steps.ns(w.namespace)}{target}",
                                            why="what changed")],
                                fixes=[steps.rollback(w.namespace, target, "the new revision never became ready")]))
    elif w.kind != "Job" and w.desired is not None and w.ready is not None and w.ready < w.desired:
        findings.append(Finding(code="ReplicasMismatch", severity=Severity.warning,
                                title=f"{w.kind} {where}: {w.ready} of {w.desired} ready",
                                evidence_refs=[ref],
                                steps=[steps.get("pods", w.namespace, "which pods", "-o wide")]))
    owned = [p for p in pods or [] if any(o.kind == w.kind and o.name == w.name for o in p.owners)]
    findings += job_failed(w, [*w.pods, *owned], [ref])
    failure = [c.message for c in w.conditions if c.type == "ReplicaFailure" and c.status == "True"]
    findings += quota_exceeded(w.kind, w.namespace, w.name, w.events, failure, [ref])
    for pod in w.pods:
        findings += analyze_pod(pod, cluster, alert_start, rollout_window_s)
    return findings


def memory_near_limit(pod: PodSnapshot, ref: str) -> list[Finding]:
    """`kubectl top` usage against the container's memory limit (the Prometheus analyzer's threshold)."""
    limits = {c.name: parse_bytes(c.memory_limit) for c in pod.containers if not c.init}
    findings = []
    for usage in pod.usage:
        name = usage.container or (next(iter(limits)) if len(limits) == 1 else "")
        # a describe cut to the limits lines does not say whose they are: one container's, then
        limit = limits.get(name) or (next(iter(limits.values())) if len(limits) == 1 else None)
        if usage.memory_bytes is None or not limit or usage.memory_bytes < MEMORY_NEAR_LIMIT * limit:
            continue
        findings.append(Finding(
            code="MemoryNearLimit", severity=Severity.warning,
            title=f"Container {name} of {pod.name} uses {usage.memory_bytes / limit:.0%} of its memory limit",
            explanation=f"{format_bytes(usage.memory_bytes)} of {format_bytes(limit)} (kubectl top); past the limit "
                        "the kernel OOM-kills it.",
            evidence_refs=[ref], steps=[Step(command=f"kubectl top pod {steps.ns(pod.namespace)}{pod.name} "
                                                     "--containers", why="memory use now versus the limit")]))
    return findings


def _claims_waited_for(snapshot: KubeSnapshot) -> tuple[set[str], list[PodSnapshot]]:
    """Claims that some pod cannot be scheduled for, and the pods that wait without naming a known claim."""
    waiting: set[str] = set()
    unnamed: list[PodSnapshot] = []
    known = {c.name for c in snapshot.claims}
    for pod in snapshot.pods:
        message = " ".join(e.message for e in pod.events if e.reason == "FailedScheduling")
        message += " ".join(c.message for c in pod.conditions if c.type == "PodScheduled")
        match = signals.UNBOUND_CLAIM.search(message)
        if not match:
            continue
        claims = {v.source for v in pod.volumes if v.kind == "persistentVolumeClaim"} | (
            {match.group("claim")} if match.group("claim") else set())
        waiting |= claims
        if not claims & known:
            unnamed.append(pod)
    return waiting, unnamed


def analyze_kubernetes(snapshot: KubeSnapshot, alert_start: datetime | None = None,
                       rollout_window_s: int = 1800) -> list[Finding]:
    cluster = snapshot.cluster
    findings: list[Finding] = []
    for pod in snapshot.pods:
        findings += analyze_pod(pod, cluster, alert_start, rollout_window_s)
    for node in snapshot.nodes:
        findings += analyze_node(node, cluster)
    for w in snapshot.workloads:
        findings += analyze_workload(w, cluster, alert_start, rollout_window_s, snapshot.pods)
    waited, unnamed = _claims_waited_for(snapshot)
    for claim in snapshot.claims:
        findings += pvc_pending(claim, [claim_id(cluster, claim)], wanted=claim.name in waited)
    for pod in unnamed:  # the claim itself was not read: say so from the pod's side
        name = next((v.source for v in pod.volumes if v.kind == "persistentVolumeClaim"), "")
        stub = ClaimSnapshot(namespace=pod.namespace, name=name, phase="Pending")
        findings += pvc_pending(stub, [pod_id(cluster, pod)], wanted=True, pod_name=pod.name)
    for hpa in snapshot.autoscalers:
        findings += hpa_at_max(hpa, [autoscaler_id(cluster, hpa)])
    findings = dedupe(findings)
    if not any(f.severity.rank >= Severity.warning.rank for f in findings):
        findings += no_active_failure(snapshot)
    return findings


def unsettled(snapshot: KubeSnapshot) -> list[str]:
    """Objects that show no failure but do not look healthy either (Pending, not ready, not bound)."""
    found = [f"pod {p.name} {p.phase}" for p in snapshot.pods if p.phase not in ("Running", "Succeeded")
             or (p.phase == "Running" and any(not c.ready for c in p.containers if not c.init))]
    found += [f"pvc {c.name} {c.phase}" for c in snapshot.claims if c.phase != "Bound"]
    found += [f"node {n.name}" for n in snapshot.nodes
              if not any(c.type == "Ready" and c.status == "True" for c in n.conditions)]
    found += [f"{w.kind.lower()} {w.name}" for w in snapshot.workloads
              if w.kind != "Job" and w.desired is not None and w.ready is not None and w.ready < w.desired]
    return found


def no_active_failure(snapshot: KubeSnapshot) -> list[Finding]:
    """Saying that what was read looks healthy is an answer, not a miss; not when something is unsettled."""
    if unsettled(snapshot):
        return []
    seen = [*(f"pod {p.name} {p.phase}" for p in snapshot.pods), *(f"node {n.name}" for n in snapshot.nodes),
            *(f"{w.kind.lower()} {w.name}" for w in snapshot.workloads),
            *(f"pvc {c.name} {c.phase}" for c in snapshot.claims), *(f"hpa {h.name}" for h in snapshot.autoscalers)]
    if not seen:
        return []
    shown = ", ".join(seen[:5]) + (f" and {len(seen) - 5} more" if len(seen) > 5 else "")
    return [Finding(code="NoActiveFailure", severity=Severity.info, title="No active failure in what was read",
                    explanation=f"{shown}: no container waiting or crashing, no failing probe, condition or warning "
                                "event that any analyzer knows. If the problem is intermittent, look at the events "
                                "and logs from the time it happened.",
                    evidence_refs=[], steps=[])]


def dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for finding in findings:
        if (finding.code, finding.title) not in seen:
            seen.add((finding.code, finding.title))
            unique.append(finding)
    return unique
