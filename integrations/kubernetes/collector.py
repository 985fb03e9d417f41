"""Collect Kubernetes evidence for an alert: what the alert is about decides what is read.

Pod alerts (a `pod` label): the pod, its events, log tails (current and previous container), the
owner chain up to the workload, its node, and the claims of a pod that waits for its volumes. Node
alerts (a `node` label): the node and its events. Workload alerts (`deployment`, `statefulset`,
`daemonset`, `job_name`): the workload, its events and its pods. Every read is capped (lines, bytes,
events, pods) and time-limited.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from integrations.kubernetes import parse
from integrations.kubernetes.client import JsonObj, ReadOnlyKube
from integrations.kubernetes.config import KubernetesSettings
from integrations.kubernetes.models import (
    ClaimSnapshot,
    KubeSnapshot,
    LogTail,
    NodeSnapshot,
    Owner,
    PodSnapshot,
    WorkloadSnapshot,
)
from integrations.redaction import redact

log = logging.getLogger(__name__)
T = TypeVar("T")

WORKLOAD_LABELS = {"deployment": "Deployment", "statefulset": "StatefulSet", "daemonset": "DaemonSet",
                   "job_name": "Job", "job": "Job", "replicaset": "ReplicaSet"}
TOP_OWNERS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
MAX_OWNER_DEPTH = 3
MAX_CLAIMS = 3  # PersistentVolumeClaims read per pod


@dataclass(frozen=True)
class Target:
    """What an alert points at in the cluster."""

    scope: str  # pod, node, workload
    namespace: str | None
    name: str
    kind: str = ""


def target_of(labels: dict[str, str]) -> Target | None:
    namespace = labels.get("namespace") or labels.get("exported_namespace")
    pod_name = labels.get("pod") or labels.get("exported_pod")
    if namespace and pod_name:
        return Target("pod", namespace, pod_name, "Pod")
    if namespace:
        for label, kind in WORKLOAD_LABELS.items():
            # `job` is Prometheus' scrape job on most series; only kube-state-metrics' job_name is a Job
            if label == "job" or not labels.get(label):
                continue
            return Target("workload", namespace, labels[label], kind)
    node_name = labels.get("node") or labels.get("kubernetes_node")
    if node_name:
        return Target("node", None, node_name, "Node")
    return None


class KubeCollector:
    def __init__(self, kube: ReadOnlyKube, config: KubernetesSettings, cluster: str) -> None:
        self.kube = kube
        self.config = config
        self.snapshot = KubeSnapshot(cluster=cluster)

    def _items(self, what: str, read: Callable[[], list[JsonObj]]) -> list[JsonObj]:
        return self._try(what, read, [])

    def _try(self, what: str, read: Callable[[], T], default: T) -> T:
        """A secondary read that may fail (logs of a gone container, events RBAC) without losing the rest."""
        try:
            return read()
        except Exception as exc:
            self.snapshot.errors.append(f"{what}: {_short_error(exc)}")
            return default

    def collect(self, target: Target) -> KubeSnapshot:
        if target.scope == "pod" and target.namespace:
            self.snapshot.pods.append(self.pod(target.namespace, target.name, with_logs=True))
            self.snapshot.claims += self._claims(self.snapshot.pods[0])
            node_name = self.snapshot.pods[0].node
            if node_name:
                node = self._try(f"node {node_name}", lambda: self.node(node_name, with_events=False), None)
                if node is not None:
                    self.snapshot.nodes.append(node)
        elif target.scope == "node":
            self.snapshot.nodes.append(self.node(target.name, with_events=True))
        elif target.namespace:
            self.snapshot.workloads.append(self.workload(target.kind, target.namespace, target.name))
        return self.snapshot

    def pod(self, namespace: str, name: str, *, with_logs: bool) -> PodSnapshot:
        data = self.kube.read_pod(namespace, name)
        snapshot = parse.pod(data)
        cap = self.config.max_events
        snapshot.events = parse.events(self._items("pod events", partial(
            self.kube.list_events, namespace, "Pod", name, cap * 4)), cap)
        snapshot.owners = self._owners(namespace, data)
        if with_logs:
            snapshot.logs = self._logs(snapshot)
        return snapshot

    def _claims(self, pod: PodSnapshot) -> list[ClaimSnapshot]:
        """The claims of a pod that waits (Pending, or a mount failing): whether they are bound, and why not."""
        mounting = any(e.reason in ("FailedMount", "FailedAttachVolume", "FailedScheduling") for e in pod.events)
        if pod.phase != "Pending" and not mounting:
            return []
        claims = []
        cap = self.config.max_events
        for name in [v.source for v in pod.volumes if v.kind == "persistentVolumeClaim" and v.source][:MAX_CLAIMS]:
            data = self._try(f"pvc {name}", partial(self.kube.read_pvc, pod.namespace, name), None)
            if data:
                claim = parse.claim(data)
                claim.events = parse.events(self._items("pvc events", partial(
                    self.kube.list_events, pod.namespace, "PersistentVolumeClaim", name, cap * 4)), cap)
                claims.append(claim)
        return claims

    def _owners(self, namespace: str, data: JsonObj) -> list[Owner]:
        owners: list[Owner] = []
        current = data
        for _ in range(MAX_OWNER_DEPTH):
            ref = parse.controller_of(current)
            if ref is None:
                break
            kind, name = ref
            if kind not in ("ReplicaSet", *TOP_OWNERS) or kind == "CronJob":
                owners.append(Owner(kind=kind, name=name))
                break
            current = self._try(f"{kind} {name}", partial(self.kube.read_workload, kind, namespace, name), {})
            owners.append(parse.owner(current, kind) if current else Owner(kind=kind, name=name))
            if not current or kind in TOP_OWNERS:
                break
        return owners

    def _logs(self, pod: PodSnapshot) -> list[LogTail]:
        tails: list[LogTail] = []
        if not pod.node:
            return tails  # never scheduled: no container ever ran
        for container in pod.containers:
            if container.state in ("waiting", "unknown") and container.restart_count == 0:
                continue  # never ran: no logs to read
            tails.append(self._log(pod, container.name, previous=False))
            if container.restart_count > 0 or container.last_termination is not None:
                tails.append(self._log(pod, container.name, previous=True))
        return tails

    def _log(self, pod: PodSnapshot, container: str, *, previous: bool) -> LogTail:
        try:
            text = self.kube.read_pod_log(pod.namespace, pod.name, container, previous=previous,
                                          tail_lines=self.config.log_tail_lines, limit_bytes=self.config.log_max_bytes)
        except Exception as exc:
            return LogTail(container=container, previous=previous, error=_short_error(exc))
        return cap_log(text, container, previous, self.config.log_tail_lines, self.config.log_max_bytes)

    def node(self, name: str, *, with_events: bool) -> NodeSnapshot:
        snapshot = parse.node(self.kube.read_node(name))
        if with_events:
            cap = self.config.max_events
            snapshot.events = parse.events(self._items("node events", partial(
                self.kube.list_events, None, "Node", name, cap * 4)), cap)
        return snapshot

    def workload(self, kind: str, namespace: str, name: str) -> WorkloadSnapshot:
        data = self.kube.read_workload(kind, namespace, name)
        snapshot = parse.workload(data, kind)
        cap = self.config.max_events
        snapshot.events = parse.events(self._items(f"{kind} events", partial(
            self.kube.list_events, namespace, kind, name, cap * 4)), cap)
        selector = parse.selector_string(data)
        if selector:
            items = self._items("workload pods", partial(
                self.kube.list_pods, namespace, selector, self.config.max_workload_pods * 4))
            pods = sorted((parse.pod(p) for p in items), key=_pod_trouble, reverse=True)
            for pod in pods[: self.config.max_workload_pods]:
                pod.events = parse.events(self._items("pod events", partial(
                    self.kube.list_events, namespace, "Pod", pod.name, cap * 4)), cap)
                snapshot.pods.append(pod)
        return snapshot


def cap_log(text: str, container: str, previous: bool, max_lines: int, max_bytes: int) -> LogTail:
    """The last `max_lines` lines within `max_bytes`, redacted as one block (a PEM key spans lines)."""
    size = len(text.encode())
    lines = text.encode()[-max_bytes:].decode(errors="replace").splitlines()
    truncated = size > max_bytes or len(lines) > max_lines
    if size > max_bytes and lines:
        lines = lines[1:]  # the first line was cut mid-way
    return LogTail(container=container, previous=previous, lines=redact("\n".join(lines[-max_lines:])).splitlines(),
                   truncated=truncated)


def _pod_trouble(pod: PodSnapshot) -> tuple[int, int]:
    not_ready = sum(1 for c in pod.containers if not c.ready)
    return (not_ready + (pod.phase not in ("Running", "Succeeded")), sum(c.restart_count for c in pod.containers))


def _short_error(exc: BaseException) -> str:
    status = getattr(exc, "status", None)
    reason = getattr(exc, "reason", None)
    if status:
        return f"HTTP {status} {reason or ''}".strip()
    return redact(f"{type(exc).__name__}: {exc}")[:200]
