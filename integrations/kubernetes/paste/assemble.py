"""Fold the parts of a paste into one `KubeSnapshot`: the same object seen in a table, a describe and
the events becomes one snapshot (the richest source is the base), events attach to the object they
are about (an object known only from its events still gets analyzed), logs to their pod.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from integrations.kubernetes import parse, signals
from integrations.kubernetes.models import (
    AutoscalerSnapshot,
    ClaimSnapshot,
    ContainerStatus,
    EventInfo,
    KubeSnapshot,
    LogTail,
    NodeSnapshot,
    Owner,
    PodSnapshot,
    Usage,
    WorkloadSnapshot,
)
from integrations.kubernetes.paste.parts import Part

T = TypeVar("T", PodSnapshot, NodeSnapshot, WorkloadSnapshot, ClaimSnapshot, AutoscalerSnapshot)
STUB, TABLE, FULL = 0, 1, 2  # how much a source says about an object
MAX_LOG_LINES = 2000
UNNAMED_POD = "POD"  # logs pasted without saying whose: a placeholder the reader replaces
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")
_BACKOFF_CONTAINER = re.compile(r"Back-off restarting failed container(?:=| )(?P<name>[\w.-]+)")
_CREATED_POD = re.compile(r"Created pod: (?P<name>[\w.-]+)")
_SCALED_UP = re.compile(r"Scaled up replica set (?P<rs>[\w.-]+) to")
_ASSIGNED = re.compile(r"Successfully assigned (?P<ns>[\w.-]+)/(?P<name>[\w.-]+) to")


class Registry:
    def __init__(self, cluster: str = "pasted") -> None:
        self.snapshot = KubeSnapshot(cluster=cluster)
        self.rank: dict[int, int] = {}
        self.loose_events: list[tuple[str, str, str, EventInfo]] = []

    # --- objects ----------------------------------------------------------------------------------
    def _add(self, items: list[T], item: T, rank: int, merge: Callable[[T, T], None]) -> T:
        """One snapshot per object: same kind and name, and the same namespace where both say one."""
        kind, theirs = _identity(item)
        for i, known in enumerate(items):
            if known.name != item.name:
                continue
            known_kind, ours = _identity(known)
            if known_kind != kind or (ours and theirs and ours != theirs):
                continue
            # the richer source is the base; of two alike, the later (a `--watch` table's last row)
            base, other = (item, known) if rank >= self.rank.get(id(known), STUB) else (known, item)
            merge(base, other)
            if not isinstance(base, NodeSnapshot) and not base.namespace:
                base.namespace = ours or theirs
            items[i] = base
            self.rank[id(base)] = max(rank, self.rank.pop(id(known), STUB))
            return base
        items.append(item)
        self.rank[id(item)] = rank
        return item

    def pod(self, pod: PodSnapshot, rank: int) -> PodSnapshot:
        return self._add(self.snapshot.pods, pod, rank, _merge_pod)

    def node(self, node: NodeSnapshot, rank: int) -> NodeSnapshot:
        return self._add(self.snapshot.nodes, node, rank, _merge_events)

    def workload(self, workload: WorkloadSnapshot, rank: int) -> WorkloadSnapshot:
        return self._add(self.snapshot.workloads, workload, rank, _merge_events)

    def claim(self, claim: ClaimSnapshot, rank: int) -> ClaimSnapshot:
        return self._add(self.snapshot.claims, claim, rank, _merge_events)

    def autoscaler(self, hpa: AutoscalerSnapshot, rank: int) -> AutoscalerSnapshot:
        return self._add(self.snapshot.autoscalers, hpa, rank, _merge_events)

    # --- what attaches to objects ------------------------------------------------------------------
    def event(self, namespace: str, kind: str, name: str, event: EventInfo) -> str | None:
        """Attach to its object (a stub when only the events show it); the object's key, or None."""
        target: Any
        if kind == "Pod":
            target = self.pod(PodSnapshot(namespace=namespace, name=name), STUB)
        elif kind == "Node":
            target = self.node(NodeSnapshot(name=name), STUB)
        elif kind in WORKLOAD_KINDS:
            target = self.workload(WorkloadSnapshot(kind=kind, namespace=namespace, name=name), STUB)
        elif kind == "PersistentVolumeClaim":
            target = self.claim(ClaimSnapshot(namespace=namespace, name=name), STUB)
        elif kind == "HorizontalPodAutoscaler":
            target = self.autoscaler(AutoscalerSnapshot(namespace=namespace, name=name), STUB)
        else:
            self.loose_events.append((namespace, kind, name, event))
            return None
        if not any((e.type, e.reason, e.message) == (event.type, event.reason, event.message) for e in target.events):
            target.events.append(event)
            target.events.sort(key=lambda e: -(e.last_seen.timestamp() if e.last_seen else 0.0))
        return f"{kind.lower()}/{name}"

    def logs(self, part: Part) -> str:
        pod_hint, container, previous = (part.hints.get(k, "") for k in ("pod", "container", "previous"))
        kind, _, name = pod_hint.rpartition("/")
        pods = self.snapshot.pods
        if kind and kind.lower() not in ("pod", "po", "pods"):  # deploy/web, job/x: one of its pods
            pod = next((p for p in pods if p.name.startswith(name + "-")), None)
        elif name:
            pod = next((p for p in pods if p.name == name), None)
        else:
            pod = pods[0] if len(pods) == 1 else None
        if pod is None:
            pod = self.pod(PodSnapshot(namespace=part.namespace, name=name or UNNAMED_POD), STUB)
        if not container:
            running = [c.name for c in pod.containers if not c.init and c.name]
            container = running[0] if len(running) == 1 else ""
        lines = [line.rstrip() for line in part.lines]
        pod.logs.append(LogTail(container=container, previous=bool(previous), lines=lines[-MAX_LOG_LINES:],
                                truncated=len(lines) > MAX_LOG_LINES))
        return f"pod/{pod.name}"

    def fragment(self, namespace: str, name: str, docs: list[Any], path: str) -> str | None:
        """`get pod NAME -o jsonpath=...` (or `-o yaml | grep`) printed part of a pod's status: a container's
        state or last state, its container statuses, or the whole status. None when it is none of those."""
        statuses: list[ContainerStatus] = []
        for doc in docs:
            items = doc if isinstance(doc, list) else [doc]
            for item in items:
                if not isinstance(item, dict):
                    continue
                if item.get("containerStatuses") or item.get("initContainerStatuses"):
                    statuses += parse.pod({"status": item}).containers
                elif "state" in item and "name" in item:
                    statuses.append(parse.container_status(item, None))
                elif set(item) & {"terminated", "waiting", "running"}:
                    key = "lastState" if "lastState" in path else "state"
                    statuses.append(parse.container_status({"name": "", key: item}, None))
        if not statuses:
            return None
        pod = self.pod(PodSnapshot(namespace=namespace, name=name), STUB)
        for status in statuses:
            known = next((c for c in pod.containers if c.name == status.name or not status.name), None)
            if known is None:
                pod.containers.append(status)
            elif status.last_termination and not known.last_termination:
                known.last_termination = status.last_termination
            elif status.state != "unknown" and known.state == "unknown":
                pod.containers[pod.containers.index(known)] = status
        return f"pod/{pod.name}"

    def unnamed_pod(self, namespace: str, events: list[EventInfo]) -> PodSnapshot:
        """The pod a describe cut to its events belongs to: the only pod of the paste, the one the scheduler's
        `Successfully assigned NS/NAME` names, or a placeholder."""
        if len(self.snapshot.pods) == 1:
            return self.snapshot.pods[0]
        assigned = next((m for e in events if (m := _ASSIGNED.search(e.message))), None)
        if assigned:
            pod = PodSnapshot(namespace=assigned.group("ns"), name=assigned.group("name"))
        else:
            pod = PodSnapshot(namespace=namespace, name=UNNAMED_POD)
        pod.events = events
        return self.pod(pod, STUB)

    def usage(self, namespace: str, name: str, usage: Usage) -> str:
        pod = self.pod(PodSnapshot(namespace=namespace, name=name, phase="Running"), STUB)
        pod.usage.append(usage)
        return f"pod/{name}"

    def finish(self) -> KubeSnapshot:
        """Cross-object facts: container states only the events say, a Job's pods."""
        for pod in self.snapshot.pods:
            if not any(c.reason for c in pod.containers):
                implied = implied_container(pod.events)
                if implied:
                    pod.containers = [c for c in pod.containers if c.name] + [implied]
        self._rollouts()
        for job in (w for w in self.snapshot.workloads if w.kind == "Job"):
            created = {m.group("name") for e in job.events if (m := _CREATED_POD.search(e.message))}
            for pod in self.snapshot.pods:
                if pod.name in created and not any(o.kind == "Job" for o in pod.owners):
                    pod.owners.append(Owner(kind="Job", name=job.name))
        return self.snapshot


    def _rollouts(self) -> None:
        """Pods of a pasted Deployment (the pod-template-hash naming rule: DEPLOY-HASH-XXXXX) get their
        ReplicaSet and Deployment as owners; the controller's `Scaled up replica set RS` event dates the RS."""
        for deployment in (w for w in self.snapshot.workloads if w.kind == "Deployment"):
            scaled = {m.group("rs"): e.last_seen for e in sorted(deployment.events, key=_age, reverse=True)
                      if (m := _SCALED_UP.search(e.message)) and e.last_seen}
            pattern = re.compile(rf"^{re.escape(deployment.name)}-(?P<hash>[a-z0-9]{{5,10}})-[a-z0-9]{{5}}$")
            for pod in self.snapshot.pods:
                match = pattern.match(pod.name)
                if match is None or (pod.owners and pod.owners[0].kind != "ReplicaSet"):
                    continue
                rs = f"{deployment.name}-{match.group('hash')}"
                pod.owners = [Owner(kind="ReplicaSet", name=rs, created=scaled.get(rs)),
                              Owner(kind="Deployment", name=deployment.name)]


def _identity(item: Any) -> tuple[str, str]:
    """(kind, namespace) without pydantic's slow lookup of attributes a model does not have."""
    kind = item.kind if isinstance(item, WorkloadSnapshot) else ""
    return kind, "" if isinstance(item, NodeSnapshot) else item.namespace


def _age(event: EventInfo) -> float:
    return event.last_seen.timestamp() if event.last_seen else 0.0


def implied_container(events: list[EventInfo]) -> ContainerStatus | None:
    """The container state the kubelet's events name when no status was pasted (events only)."""
    for e in events:
        text = e.message
        if e.reason == "BackOff" and (m := _BACKOFF_CONTAINER.search(text)):
            return ContainerStatus(name=m.group("name"), state="waiting", reason="CrashLoopBackOff")
        if e.reason in ("BackOff", "Failed") and ("pulling image" in text.lower() or "ImagePullBackOff" in text
                                                  or "ErrImagePull" in text or "Failed to pull image" in text):
            return ContainerStatus(name="", state="waiting", reason="ImagePullBackOff", message=text)
        if e.reason == "Failed" and signals.CONFIG_MISSING.search(text):
            return ContainerStatus(name="", state="waiting", reason="CreateContainerConfigError", message=text)
        if e.reason == "Failed" and signals.COMMAND_FAILED.search(text):
            return ContainerStatus(name="", state="waiting", reason="RunContainerError", message=text)
    return None


def _merge_events(base: Any, other: Any) -> None:
    known = {(e.type, e.reason, e.message) for e in base.events}
    base.events += [e for e in other.events if (e.type, e.reason, e.message) not in known]
    base.events.sort(key=lambda e: -(e.last_seen.timestamp() if e.last_seen else 0.0))


def _merge_pod(base: PodSnapshot, other: PodSnapshot) -> None:
    _merge_events(base, other)
    base.logs += other.logs
    base.usage += other.usage
    if not base.containers:
        base.containers = other.containers
    base.node = base.node or other.node
    base.owners = base.owners or other.owners
    if base.phase == "Unknown":
        base.phase = other.phase
    base.reason = base.reason or other.reason

