"""What the Kubernetes collector saw, as small typed snapshots (not the client's full objects).

Built from the API's documented JSON (camelCase), so they can be filled from the official client's
objects (serialised) or from saved API responses alike; analyzers only ever see these.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class Condition(BaseModel):
    type: str
    status: str
    reason: str = ""
    message: str = ""
    last_transition: datetime | None = None


class Termination(BaseModel):
    reason: str = ""
    exit_code: int | None = None
    signal: int | None = None
    message: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None


class ContainerStatus(BaseModel):
    name: str
    init: bool = False
    ready: bool = False
    restart_count: int = 0
    state: str = "unknown"  # running, waiting, terminated
    reason: str = ""  # waiting/terminated reason (CrashLoopBackOff, ImagePullBackOff, OOMKilled, ...)
    message: str = ""
    exit_code: int | None = None
    last_termination: Termination | None = None
    image: str = ""
    memory_limit: str | None = None
    cpu_limit: str | None = None


class EventInfo(BaseModel):
    type: str = "Normal"
    reason: str = ""
    message: str = ""
    count: int = 1
    last_seen: datetime | None = None
    object: str = ""


class LogTail(BaseModel):
    container: str
    previous: bool = False
    lines: list[str] = Field(default_factory=list)
    truncated: bool = False
    error: str | None = None


class Owner(BaseModel):
    kind: str
    name: str
    created: datetime | None = None
    revision: str | None = None


class Volume(BaseModel):
    """A pod volume that points at another object (the ones a mount can fail on)."""

    name: str
    kind: str = ""  # persistentVolumeClaim, configMap, secret, ...
    source: str = ""  # the claim, ConfigMap or Secret it names


class Usage(BaseModel):
    """What `kubectl top` (metrics-server) said: millicores and bytes, per container when known."""

    container: str = ""
    cpu_m: float | None = None
    memory_bytes: float | None = None


class PodSnapshot(BaseModel):
    namespace: str
    name: str
    phase: str = "Unknown"
    reason: str = ""  # the pod's own status reason (Evicted, NodeLost, ...)
    message: str = ""
    node: str | None = None
    created: datetime | None = None
    conditions: list[Condition] = Field(default_factory=list)
    containers: list[ContainerStatus] = Field(default_factory=list)
    events: list[EventInfo] = Field(default_factory=list)
    logs: list[LogTail] = Field(default_factory=list)
    owners: list[Owner] = Field(default_factory=list)  # nearest first: ReplicaSet, then Deployment
    readiness_gates: list[str] = Field(default_factory=list)
    volumes: list[Volume] = Field(default_factory=list)
    usage: list[Usage] = Field(default_factory=list)


class NodeSnapshot(BaseModel):
    name: str
    conditions: list[Condition] = Field(default_factory=list)
    unschedulable: bool = False
    taints: list[str] = Field(default_factory=list)
    allocatable: dict[str, str] = Field(default_factory=dict)
    kubelet_version: str = ""
    events: list[EventInfo] = Field(default_factory=list)


class WorkloadSnapshot(BaseModel):
    kind: str
    namespace: str
    name: str
    desired: int | None = None
    ready: int | None = None
    updated: int | None = None
    available: int | None = None
    revision: str | None = None
    conditions: list[Condition] = Field(default_factory=list)
    status: dict[str, Any] = Field(default_factory=dict)
    # spec values analyzers read: backoffLimit, activeDeadlineSeconds (Job), minReplicas/maxReplicas (HPA)
    spec: dict[str, Any] = Field(default_factory=dict)
    pods: list[PodSnapshot] = Field(default_factory=list)
    events: list[EventInfo] = Field(default_factory=list)


class ClaimSnapshot(BaseModel):
    """A PersistentVolumeClaim: its phase, what it asks for, and its events."""

    namespace: str
    name: str
    phase: str = "Unknown"  # Pending, Bound, Lost
    storage_class: str = ""
    access_modes: list[str] = Field(default_factory=list)
    volume: str = ""
    capacity: str = ""
    events: list[EventInfo] = Field(default_factory=list)


class AutoscalerSnapshot(BaseModel):
    """A HorizontalPodAutoscaler: its bounds, current and desired replicas, metrics and conditions."""

    namespace: str
    name: str
    target: str = ""  # Deployment/web
    min_replicas: int | None = None
    max_replicas: int | None = None
    current: int | None = None
    desired: int | None = None
    metrics: list[str] = Field(default_factory=list)  # "cpu 305% / 50%"
    conditions: list[Condition] = Field(default_factory=list)
    events: list[EventInfo] = Field(default_factory=list)


class KubeSnapshot(BaseModel):
    """Everything collected for one alert."""

    cluster: str
    pods: list[PodSnapshot] = Field(default_factory=list)
    nodes: list[NodeSnapshot] = Field(default_factory=list)
    workloads: list[WorkloadSnapshot] = Field(default_factory=list)
    claims: list[ClaimSnapshot] = Field(default_factory=list)
    autoscalers: list[AutoscalerSnapshot] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)  # parts that could not be read (logs of a gone container, ...)
