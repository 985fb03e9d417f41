"""Turn the API's documented JSON (pods, events, nodes, workloads) into the collector's snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
from integrations.redaction import redact

JsonObj = dict[str, Any]
REVISION_ANNOTATION = "deployment.kubernetes.io/revision"


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return None


def conditions(items: list[JsonObj] | None) -> list[Condition]:
    return [Condition(type=c.get("type", ""), status=str(c.get("status", "")), reason=c.get("reason") or "",
                      message=redact(c.get("message") or ""),
                      last_transition=_time(c.get("lastTransitionTime") or c.get("lastUpdateTime")))
            for c in items or []]


def _termination(data: JsonObj | None) -> Termination | None:
    if not data:
        return None
    return Termination(reason=data.get("reason") or "", exit_code=data.get("exitCode"), signal=data.get("signal"),
                       message=redact(data.get("message") or ""), started_at=_time(data.get("startedAt")),
                       finished_at=_time(data.get("finishedAt")))


def container_status(status: JsonObj, spec: JsonObj | None, *, init: bool = False) -> ContainerStatus:
    state = status.get("state") or {}
    kind = next((k for k in ("waiting", "terminated", "running") if state.get(k) is not None), "unknown")
    detail = state.get(kind) or {}
    limits = ((spec or {}).get("resources") or {}).get("limits") or {}
    last = (status.get("lastState") or {}).get("terminated")
    return ContainerStatus(
        name=status.get("name", "?"), init=init, ready=bool(status.get("ready")),
        restart_count=int(status.get("restartCount") or 0), state=kind, reason=detail.get("reason") or "",
        message=redact(detail.get("message") or ""), exit_code=detail.get("exitCode"),
        last_termination=_termination(last), image=status.get("image") or "",
        memory_limit=limits.get("memory"), cpu_limit=limits.get("cpu"))


def pod(data: JsonObj) -> PodSnapshot:
    meta, spec, status = data.get("metadata") or {}, data.get("spec") or {}, data.get("status") or {}
    specs = {c.get("name"): c for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])}
    containers = [container_status(s, specs.get(s.get("name")), init=True)
                  for s in status.get("initContainerStatuses") or []]
    containers += [container_status(s, specs.get(s.get("name"))) for s in status.get("containerStatuses") or []]
    seen = {c.name for c in containers}
    # Containers not started yet (pending pod) have no status: still list them with their limits.
    containers += [container_status({"name": name}, c) for name, c in specs.items() if name not in seen
                   and c in (spec.get("containers") or [])]
    return PodSnapshot(namespace=meta.get("namespace", ""), name=meta.get("name", ""),
                       phase=status.get("phase") or "Unknown", reason=status.get("reason") or "",
                       message=redact(status.get("message") or ""), node=spec.get("nodeName"),
                       created=_time(meta.get("creationTimestamp")), conditions=conditions(status.get("conditions")),
                       containers=containers, volumes=volumes(spec.get("volumes")),
                       readiness_gates=[g.get("conditionType", "") for g in spec.get("readinessGates") or []])


# volume source key -> the field naming the object it reads
VOLUME_SOURCES = {"persistentVolumeClaim": "claimName", "configMap": "name", "secret": "secretName"}


def volumes(items: list[JsonObj] | None) -> list[Volume]:
    found = []
    for item in items or []:
        kind = next((k for k in VOLUME_SOURCES if item.get(k) is not None), "")
        source = str((item.get(kind) or {}).get(VOLUME_SOURCES[kind], "")) if kind else ""
        found.append(Volume(name=item.get("name", ""), kind=kind, source=source))
    return found


def controller_of(data: JsonObj) -> tuple[str, str] | None:
    """The (kind, name) of an object's controlling owner."""
    refs = (data.get("metadata") or {}).get("ownerReferences") or []
    ref = next((r for r in refs if r.get("controller")), refs[0] if refs else None)
    return (ref["kind"], ref["name"]) if ref else None


def owner(data: JsonObj, kind: str) -> Owner:
    meta = data.get("metadata") or {}
    return Owner(kind=kind, name=meta.get("name", ""), created=_time(meta.get("creationTimestamp")),
                 revision=(meta.get("annotations") or {}).get(REVISION_ANNOTATION))


def events(items: list[JsonObj], limit: int) -> list[EventInfo]:
    """Deduplicated by (type, reason, message), counts summed, newest first."""
    merged: dict[tuple[str, str, str], EventInfo] = {}
    for item in items:
        involved = item.get("involvedObject") or item.get("regarding") or {}
        seen = _time(item.get("lastTimestamp") or item.get("eventTime") or item.get("firstTimestamp")
                     or (item.get("metadata") or {}).get("creationTimestamp"))
        event = EventInfo(type=item.get("type") or "Normal", reason=item.get("reason") or "",
                          message=redact(item.get("message") or item.get("note") or ""),
                          count=int(item.get("count") or (item.get("series") or {}).get("count") or 1),
                          last_seen=seen, object=f"{involved.get('kind', '')}/{involved.get('name', '')}")
        key = (event.type, event.reason, event.message)
        if key in merged:
            known = merged[key]
            newest = max((t for t in (known.last_seen, seen) if t is not None), default=None)
            merged[key] = known.model_copy(update={"count": known.count + event.count, "last_seen": newest})
        else:
            merged[key] = event
    ordered = sorted(merged.values(), key=lambda e: e.last_seen.timestamp() if e.last_seen else 0.0, reverse=True)
    return ordered[:limit]


def node(data: JsonObj) -> NodeSnapshot:
    meta, spec, status = data.get("metadata") or {}, data.get("spec") or {}, data.get("status") or {}
    taints = [f"{t.get('key')}={t.get('value', '')}:{t.get('effect')}" for t in spec.get("taints") or []]
    return NodeSnapshot(name=meta.get("name", ""), conditions=conditions(status.get("conditions")),
                        unschedulable=bool(spec.get("unschedulable")), taints=taints,
                        allocatable={k: str(v) for k, v in (status.get("allocatable") or {}).items()},
                        kubelet_version=(status.get("nodeInfo") or {}).get("kubeletVersion", ""))


def workload(data: JsonObj, kind: str) -> WorkloadSnapshot:
    meta, spec, status = data.get("metadata") or {}, data.get("spec") or {}, data.get("status") or {}
    if kind == "DaemonSet":
        desired, ready = status.get("desiredNumberScheduled"), status.get("numberReady")
        updated, available = status.get("updatedNumberScheduled"), status.get("numberAvailable")
    elif kind == "Job":
        desired, ready = spec.get("completions"), status.get("succeeded")
        updated, available = None, status.get("active")
    else:
        desired, ready = spec.get("replicas"), status.get("readyReplicas", 0)
        updated, available = status.get("updatedReplicas"), status.get("availableReplicas")
    return WorkloadSnapshot(kind=kind, namespace=meta.get("namespace", ""), name=meta.get("name", ""),
                            desired=desired, ready=ready, updated=updated, available=available,
                            revision=(meta.get("annotations") or {}).get(REVISION_ANNOTATION),
                            conditions=conditions(status.get("conditions")),
                            status={k: v for k, v in status.items() if not isinstance(v, list | dict)},
                            spec={k: spec[k] for k in WORKLOAD_SPEC if k in spec})


WORKLOAD_SPEC = ("backoffLimit", "activeDeadlineSeconds", "completions", "parallelism", "replicas")


def claim(data: JsonObj) -> ClaimSnapshot:
    meta, spec, status = data.get("metadata") or {}, data.get("spec") or {}, data.get("status") or {}
    return ClaimSnapshot(namespace=meta.get("namespace", ""), name=meta.get("name", ""),
                         phase=status.get("phase") or "Unknown", storage_class=spec.get("storageClassName") or "",
                         access_modes=list(spec.get("accessModes") or []), volume=spec.get("volumeName") or "",
                         capacity=str((status.get("capacity") or {}).get("storage", "")))


def autoscaler(data: JsonObj) -> AutoscalerSnapshot:
    """autoscaling/v2 (and v1, whose spec has targetCPUUtilizationPercentage)."""
    meta, spec, status = data.get("metadata") or {}, data.get("spec") or {}, data.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    metrics = [f"{(m.get('resource') or {}).get('name', m.get('type', '?'))}" for m in spec.get("metrics") or []]
    if "targetCPUUtilizationPercentage" in spec:
        metrics.append(f"cpu {status.get('currentCPUUtilizationPercentage', '?')}% / "
                       f"{spec['targetCPUUtilizationPercentage']}%")
    return AutoscalerSnapshot(namespace=meta.get("namespace", ""), name=meta.get("name", ""),
                              target=f"{ref.get('kind', '')}/{ref.get('name', '')}".strip("/"),
                              min_replicas=spec.get("minReplicas", 1), max_replicas=spec.get("maxReplicas"),
                              current=status.get("currentReplicas"), desired=status.get("desiredReplicas"),
                              metrics=metrics, conditions=conditions(status.get("conditions")))


def selector_string(data: JsonObj) -> str:
    labels = ((data.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
