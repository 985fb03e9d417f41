"""Snapshots from `kubectl describe` trees: pod, deployment/statefulset/daemonset/replicaset, job, node,
pvc, hpa. The same models the live collector fills, so the same analyzers run on them.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from integrations.kubernetes.models import (
    AutoscalerSnapshot,
    ClaimSnapshot,
    Condition,
    ContainerStatus,
    EventInfo,
    NodeSnapshot,
    Owner,
    PodSnapshot,
    Termination,
    Volume,
    WorkloadSnapshot,
)
from integrations.kubernetes.paste import columns
from integrations.kubernetes.paste.describe import Node, events_rows
from integrations.redaction import redact

NONE = ("<none>", "<unset>", "")
CONTAINER_KEYS = ("State", "Last State", "Limits", "Restart Count", "Image")
_HASH = re.compile(r"^(?P<base>.+)-[a-z0-9]{5,10}$")
VOLUME_KEYS = {"PersistentVolumeClaim": ("persistentVolumeClaim", "ClaimName"), "ConfigMap": ("configMap", "Name"),
               "Secret": ("secret", "SecretName")}


def _value(text: str) -> str:
    return "" if text in NONE else text


def _int(text: str) -> int | None:
    return columns.leading_int(text) if text else None


def events(root: Node, now: datetime) -> list[EventInfo]:
    """The Events table, newest first (ages are relative to when it was printed)."""
    found = []
    for row in events_rows(root):
        age = row.get("Age") or row.get("Last Seen") or ""
        seconds = columns.age_seconds(age)
        found.append(EventInfo(type=row.get("Type", "Normal") or "Normal", reason=row.get("Reason", ""),
                               message=redact(row.get("Message", "")), count=columns.repeat_count(age),
                               last_seen=now - timedelta(seconds=seconds) if seconds is not None else None))
    return sorted(found, key=lambda e: -(e.last_seen.timestamp() if e.last_seen else 0.0))


def conditions(node: Node | None) -> list[Condition]:
    if node is None:
        return []
    return [Condition(type=row.get("Type", ""), status=row.get("Status", ""), reason=row.get("Reason", ""),
                      message=redact(row.get("Message", ""))) for row in node.table() if row.get("Type")]


def _termination(node: Node | None) -> Termination | None:
    if node is None or node.value != "Terminated":
        return None
    return Termination(reason=node.value_of("Reason"), exit_code=_int(node.value_of("Exit Code")),
                       signal=_int(node.value_of("Signal")), message=redact(node.value_of("Message")))


def container(node: Node, *, init: bool) -> ContainerStatus:
    state = node.get("State")
    kind = (state.value.lower() if state else "") or "unknown"
    terminated = _termination(state)
    return ContainerStatus(
        name=node.key, init=init, ready=node.value_of("Ready") == "True",
        restart_count=_int(node.value_of("Restart Count")) or 0, state=kind,
        reason=state.value_of("Reason") if state else "",
        message=redact(state.value_of("Message")) if state else "",
        exit_code=terminated.exit_code if terminated else None,
        last_termination=_termination(node.get("Last State")), image=node.value_of("Image"),
        memory_limit=_value(node.value_of("Limits", "memory")) or None,
        cpu_limit=_value(node.value_of("Limits", "cpu")) or None)


def owners_of(controlled_by: str) -> list[Owner]:
    """`ReplicaSet/web-7d9f8b6c5` -> the ReplicaSet and, by the pod-template-hash naming rule, its Deployment."""
    kind, _, name = controlled_by.partition("/")
    if not name:
        return []
    owners = [Owner(kind=kind, name=name)]
    if kind == "ReplicaSet" and (match := _HASH.match(name)):
        owners.append(Owner(kind="Deployment", name=match.group("base")))
    return owners


def pod(root: Node, now: datetime) -> PodSnapshot:
    node = _value(root.value_of("Node")).split("/")[0] or None
    containers = [container(c, init=True) for c in (root.get("Init Containers") or Node("", "", 0)).children]
    containers += [container(c, init=False) for c in (root.get("Containers") or Node("", "", 0)).children]
    if not containers and any(root.get(key) for key in CONTAINER_KEYS):  # cut to one container's lines
        containers = [container(Node(key="", value="", indent=0, children=root.children), init=False)]
    gates = root.get("Readiness Gates")
    volumes = []
    for v in (root.get("Volumes") or Node("", "", 0)).children:
        kind = v.value_of("Type").split(" ")[0]
        spec = VOLUME_KEYS.get(kind)
        volumes.append(Volume(name=v.key, kind=spec[0] if spec else kind, source=v.value_of(spec[1]) if spec else ""))
    pod_conditions = conditions(root.get("Conditions"))
    if gates:
        gate_rows = [r for r in gates.table() if r.get("Type")]
        pod_conditions += [Condition(type=r["Type"], status=r.get("Status", "")) for r in gate_rows
                           if r.get("Status") not in NONE]
    return PodSnapshot(
        namespace=root.value_of("Namespace"), name=root.value_of("Name"), phase=root.value_of("Status") or "Unknown",
        reason=root.value_of("Reason"), message=redact(root.value_of("Message")), node=node,
        conditions=pod_conditions, containers=containers, events=events(root, now),
        owners=owners_of(root.value_of("Controlled By")), volumes=volumes,
        readiness_gates=[r["Type"] for r in gates.table() if r.get("Type")] if gates else [])


def _counts(text: str) -> dict[str, int]:
    """`3 desired | 3 updated | 3 total | 2 available | 1 unavailable` -> {"desired": 3, ...}."""
    return {word: int(number) for number, word in re.findall(r"(\d+) (\w+)", text)}


def workload(root: Node, kind: str, now: datetime) -> WorkloadSnapshot:
    replicas = _counts(root.value_of("Replicas"))
    statuses = _counts(root.value_of("Pods Status") or root.value_of("Pods Statuses"))
    revision = re.search(r"deployment\.kubernetes\.io/revision: (\d+)", root.value_of("Annotations"))
    if kind == "Job":
        desired, ready = _int(root.value_of("Completions")), statuses.get("Succeeded")
        spec = {"backoffLimit": _int(root.value_of("Backoff Limit")),
                "activeDeadlineSeconds": columns.age_seconds(root.value_of("Active Deadline Seconds")),
                "completions": desired, "parallelism": _int(root.value_of("Parallelism"))}
        status = {"active": statuses.get("Active"), "succeeded": statuses.get("Succeeded"),
                  "failed": statuses.get("Failed")}
        available = statuses.get("Active")
    elif kind == "DaemonSet":
        desired = _int(root.value_of("Desired Number of Nodes Scheduled"))
        ready = _int(root.value_of("Number of Nodes Scheduled with Available Pods"))
        available, spec, status = ready, {}, {}
    else:
        desired = replicas.get("desired")
        ready = replicas.get("available", statuses.get("Running"))
        if ready is None and "current" in replicas:
            ready = statuses.get("Running")
        available, spec, status = replicas.get("available"), {"replicas": desired}, {}
    return WorkloadSnapshot(
        kind=kind, namespace=root.value_of("Namespace"), name=root.value_of("Name"), desired=desired, ready=ready,
        updated=replicas.get("updated"), available=available, revision=revision.group(1) if revision else None,
        conditions=conditions(root.get("Conditions")), events=events(root, now),
        status={k: v for k, v in status.items() if v is not None},
        spec={k: v for k, v in spec.items() if v is not None})


def node(root: Node, now: datetime) -> NodeSnapshot:
    taints_node = root.get("Taints")
    taints = [t.strip() for t in ([taints_node.value, *taints_node.rows] if taints_node else []) if _value(t.strip())]
    return NodeSnapshot(name=root.value_of("Name"), conditions=conditions(root.get("Conditions")),
                        unschedulable=root.value_of("Unschedulable") == "true", taints=taints,
                        kubelet_version=root.value_of("System Info", "Kubelet Version"), events=events(root, now))


def claim(root: Node, now: datetime) -> ClaimSnapshot:
    modes = _value(root.value_of("Access Modes"))
    return ClaimSnapshot(namespace=root.value_of("Namespace"), name=root.value_of("Name"),
                         phase=root.value_of("Status") or "Unknown",
                         storage_class=_value(root.value_of("StorageClass")),
                         access_modes=[m for m in re.split(r"[,\s]+", modes) if m],
                         volume=_value(root.value_of("Volume")), capacity=_value(root.value_of("Capacity")),
                         events=events(root, now))


def autoscaler(root: Node, now: datetime) -> AutoscalerSnapshot:
    pods = re.search(r"(\d+) current / (\d+) desired", " ".join(c.value for c in root.children if "pods" in c.key))
    metrics_node = root.get("Metrics")
    metrics = [f"{c.key.strip()}: {c.value}" for c in (metrics_node.children if metrics_node else [])]
    metrics += [r.strip() for r in (metrics_node.rows if metrics_node else [])]
    return AutoscalerSnapshot(
        namespace=root.value_of("Namespace"), name=root.value_of("Name"), target=root.value_of("Reference"),
        min_replicas=_int(root.value_of("Min replicas")), max_replicas=_int(root.value_of("Max replicas")),
        current=int(pods.group(1)) if pods else None, desired=int(pods.group(2)) if pods else None,
        metrics=metrics, conditions=conditions(root.get("Conditions")), events=events(root, now))
