"""Analyzers for the objects around pods: a failed Job (and why), ResourceQuota refusing pods, a HPA at
its maximum, a PersistentVolumeClaim that does not bind.

Conditions and event reasons first (Job `Failed` with `BackoffLimitExceeded`, HPA `ScalingLimited`
with `TooManyReplicas`, PVC phase `Pending` with `ProvisioningFailed`), documented messages second.
"""

from __future__ import annotations

import re

from core.models import Finding, Fix, Severity
from integrations.kubernetes import signals, steps
from integrations.kubernetes.exit_codes import exit_code_meaning
from integrations.kubernetes.models import AutoscalerSnapshot, ClaimSnapshot, EventInfo, PodSnapshot, WorkloadSnapshot


def _where(namespace: str, name: str) -> str:
    return f"{namespace}/{name}" if namespace else name


def job_failed(job: WorkloadSnapshot, mine: list[PodSnapshot], refs: list[str]) -> list[Finding]:
    """`mine`: the Job's pods that were read (their exit codes say why it failed)."""
    if job.kind != "Job":
        return []
    failed = next((c for c in job.conditions if c.type == "Failed" and c.status == "True"), None)
    event = next((e for e in job.events if e.reason in signals.JOB_FAILED_REASONS), None)
    limit = job.spec.get("backoffLimit")
    failures = job.status.get("failed")
    over_limit = isinstance(failures, int) and isinstance(limit, int) and failures > limit
    if failed is None and event is None and not over_limit:
        return []
    reason = (failed.reason if failed else "") or (event.reason if event else "") or (
        "BackoffLimitExceeded" if over_limit else "Failed")
    cause = {"BackoffLimitExceeded": f"its pods failed {failures if failures is not None else 'too many'} times "
                                     f"(backoffLimit {limit if limit is not None else 6})",
             "DeadlineExceeded": "it ran longer than activeDeadlineSeconds"
                                 + (f" ({job.spec['activeDeadlineSeconds']} s)"
                                    if "activeDeadlineSeconds" in job.spec else "")}.get(reason, reason)
    codes = sorted({code for p in mine for c in p.containers for t in (c.last_termination, c)
                    if t is not None and (code := t.exit_code) is not None and code != 0})
    exits = "; pod exit codes: " + ", ".join(f"{c} ({exit_code_meaning(c)})" for c in codes) if codes else ""
    message = (failed.message if failed else "") or (event.message if event else "")
    return [Finding(
        code="JobFailed", severity=Severity.error, title=f"Job {_where(job.namespace, job.name)} failed: {reason}",
        explanation=f"{message + '. ' if message else ''}The Job gave up because {cause}{exits}. Its pods' logs "
                    "say why they exited.",
        evidence_refs=refs,
        steps=[steps.describe("job", job.namespace, job.name, "Pods Statuses, backoff limit, deadline, events"),
               steps.get("pods", job.namespace, "its pods and their exit status", f"-l job-name={job.name}"),
               steps.logs(job.namespace, f"job/{job.name}", "", False)],
        fixes=[Fix(command=f"kubectl delete job {steps.ns(job.namespace)}{job.name}",
                   why="a failed Job does not run again: fix the cause, then delete it and apply it again (or "
                       "let its CronJob create the next one)",
                   caution="deletes its pods and their logs: read them first")],
        docs=[steps.doc("Jobs: pod backoff failure policy", "concepts/workloads/controllers/job/"
                        "#pod-backoff-failure-policy"), steps.runbook("JobFailed")])]


def quota_exceeded(kind: str, namespace: str, name: str, events: list[EventInfo], messages: list[str],
                   refs: list[str]) -> list[Finding]:
    """A controller's FailedCreate (or a ReplicaFailure condition) saying a ResourceQuota refused the pod."""
    texts = [e.message for e in events if e.reason in ("FailedCreate", "FailedCreatePodSandBox", "Failed")] + messages
    match = next((m for t in texts if (m := signals.QUOTA.search(t))), None)
    if match is None:
        return []
    quota = match.group("quota") or match.group("quota2") or ""
    if match.group("missing"):
        detail = f"the quota requires {match.group('missing')} to be set on every container"
    else:
        detail = (f"requested {match.group('requested')}, used {match.group('used')}, limited "
                  f"{match.group('limited')}")
    return [Finding(
        code="QuotaExceeded", severity=Severity.error,
        title=f"ResourceQuota {quota} refuses new pods of {kind.lower()} {_where(namespace, name)}",
        explanation=f"{detail}. No pod is created until usage drops, requests shrink or the quota is raised.",
        evidence_refs=refs,
        steps=[steps.describe("resourcequota", namespace, quota, "used versus hard limits"),
               steps.get("resourcequota", namespace, "every quota of the namespace")],
        fixes=[Fix(command=f"kubectl edit resourcequota {steps.ns(namespace)}{quota}",
                   why="raise the limit (agreed with whoever owns the namespace budget), or lower the requests")],
        docs=[steps.doc("Resource Quotas", "concepts/policy/resource-quotas/"), steps.runbook("QuotaExceeded")])]


def hpa_at_max(hpa: AutoscalerSnapshot, refs: list[str]) -> list[Finding]:
    limited = next((c for c in hpa.conditions if c.type == "ScalingLimited" and c.status == "True"
                    and c.reason in ("TooManyReplicas", "")), None)
    wants_more = hpa.desired >= hpa.max_replicas if hpa.desired is not None and hpa.max_replicas else (
        above_target(hpa.metrics) is not False)  # a table has no desired count: its TARGETS say
    at_max = hpa.max_replicas is not None and hpa.current is not None and hpa.current >= hpa.max_replicas \
        and wants_more
    if not (limited or at_max):
        return []
    metrics = f"; metrics {'; '.join(hpa.metrics)}" if hpa.metrics else ""
    target = hpa.target or "its target"
    return [Finding(
        code="HPAAtMax", severity=Severity.warning,
        title=f"HPA {_where(hpa.namespace, hpa.name)} is at its maximum of {hpa.max_replicas} replicas",
        explanation=f"{hpa.current} current / {hpa.desired} desired, max {hpa.max_replicas}{metrics}. "
                    + (f"{limited.message}. " if limited and limited.message else "")
                    + f"{target} cannot scale further: load above this point is served by the same pods.",
        evidence_refs=refs,
        steps=[steps.describe("hpa", hpa.namespace, hpa.name, "metrics, bounds and conditions"),
               steps.Step(command=f"kubectl top pod {steps.ns(hpa.namespace)}".rstrip(),
                          why="CPU and memory of the pods now")],
        fixes=[Fix(command=f"kubectl patch hpa {steps.ns(hpa.namespace)}{hpa.name} -p "
                           f"'{{\"spec\":{{\"maxReplicas\":{(hpa.max_replicas or 1) * 2}}}}}'",
                   why="raise the ceiling when the cluster has room (check the nodes' allocatable first)")],
        docs=[steps.doc("Horizontal Pod Autoscaling", "tasks/run-application/horizontal-pod-autoscale/"),
              steps.runbook("HPAAtMax")])]


_TARGET = re.compile(r"(?P<current>\d+)(?P<unit>%|m|Mi|Gi)?\s*(?:\(\S+\)\s*)?/\s*(?P<target>\d+)(?P=unit)?")


def above_target(metrics: list[str]) -> bool | None:
    """`cpu: 96%/60%`, `305% (305m) / 50%`: whether any metric is at or over its target; None when none parse."""
    found = [(int(m.group("current")), int(m.group("target"))) for text in metrics
             if (m := _TARGET.search(text))]
    return any(current >= target for current, target in found) if found else None


def pvc_pending(claim: ClaimSnapshot, refs: list[str], *, wanted: bool = False, pod_name: str = "") -> list[Finding]:
    """A claim that is Pending for a reason (provisioning failed, no class, no matching volume), or that a
    pod waits for. `WaitForFirstConsumer` alone is normal: binding waits for the pod."""
    if claim.phase not in ("Pending", "Lost", "Unknown"):
        return []
    problems = [e for e in claim.events if e.reason in signals.CLAIM_EVENTS and e.reason not in signals.CLAIM_WAITING]
    if claim.phase == "Unknown" and not problems:
        return []
    if not problems and not wanted and claim.phase == "Pending":
        waiting = [e for e in claim.events if e.reason in signals.CLAIM_WAITING]
        if waiting or not claim.events:
            return []
    text = " ".join(e.message for e in problems)
    if m := signals.STORAGE_CLASS_MISSING.search(text):
        cause = f"StorageClass {m.group('sc')} does not exist"
    elif signals.NO_STORAGE_CLASS.search(text):
        cause = "no storage class is set and no PersistentVolume matches"
    elif signals.ACCESS_MODE.search(text):
        cause = f"the provisioner does not support access mode {', '.join(claim.access_modes) or 'requested'}"
    elif problems:
        cause = problems[0].message
    else:
        cause = "it is not bound to any volume"
    where = _where(claim.namespace, claim.name) if claim.name else f"of {pod_name or 'the pod'}"
    first = steps.describe("pvc", claim.namespace, claim.name, "events of the provisioner") if claim.name else \
        steps.get("pvc", claim.namespace, "which claim is Pending, and its storage class")
    return [Finding(
        code="PVCPending", severity=Severity.error, title=f"PersistentVolumeClaim {where} is {claim.phase}",
        explanation=f"{cause}. Storage class {claim.storage_class or '(none)'}, access modes "
                    f"{', '.join(claim.access_modes) or '?'}; pods using it stay Pending.",
        evidence_refs=refs,
        steps=[first, steps.get("storageclass", None, "which classes exist and which is the default")],
        docs=[steps.doc("Persistent Volumes: binding", "concepts/storage/persistent-volumes/#binding"),
              steps.runbook("PVCPending")])]
