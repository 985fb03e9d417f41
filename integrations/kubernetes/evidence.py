"""Kubernetes snapshots as `Evidence` items: a short readable text and the structured data."""

from __future__ import annotations

from core.models import Evidence
from integrations.kubernetes.models import (
    AutoscalerSnapshot,
    ClaimSnapshot,
    ContainerStatus,
    EventInfo,
    KubeSnapshot,
    LogTail,
    NodeSnapshot,
    PodSnapshot,
    WorkloadSnapshot,
)
from integrations.redaction import redact

SOURCE = "kubernetes"


def pod_id(cluster: str, pod: PodSnapshot) -> str:
    return f"k8s:{cluster}:pod/{pod.namespace}/{pod.name}"


def node_id(cluster: str, node: NodeSnapshot) -> str:
    return f"k8s:{cluster}:node/{node.name}"


def workload_id(cluster: str, workload: WorkloadSnapshot) -> str:
    return f"k8s:{cluster}:{workload.kind.lower()}/{workload.namespace}/{workload.name}"


def logs_id(cluster: str, pod: PodSnapshot) -> str:
    return pod_id(cluster, pod) + "/logs"


def claim_id(cluster: str, claim: ClaimSnapshot) -> str:
    return f"k8s:{cluster}:pvc/{claim.namespace}/{claim.name}"


def autoscaler_id(cluster: str, hpa: AutoscalerSnapshot) -> str:
    return f"k8s:{cluster}:hpa/{hpa.namespace}/{hpa.name}"


def container_line(c: ContainerStatus) -> str:
    state = c.state + (f" ({c.reason})" if c.reason else "") + (f" exit {c.exit_code}" if c.exit_code is not None
                                                                 else "")
    line = f"{'init ' if c.init else ''}container {c.name}: {state}, ready={c.ready}, restarts={c.restart_count}"
    if c.last_termination:
        t = c.last_termination
        when = t.finished_at.strftime("%H:%M:%S") if t.finished_at else "?"
        line += f"; last terminated {t.reason or '?'} exit {t.exit_code} at {when}"
    if c.memory_limit or c.cpu_limit:
        line += f"; limits memory={c.memory_limit or '-'} cpu={c.cpu_limit or '-'}"
    return line


def event_line(e: EventInfo) -> str:
    when = e.last_seen.strftime("%H:%M:%S") if e.last_seen else "?"
    return f"{when} {e.type} {e.reason} (x{e.count}): {e.message}"


def pod_text(pod: PodSnapshot) -> str:
    reason = f" ({pod.reason}: {pod.message})" if pod.reason else ""
    lines = [f"pod {pod.namespace}/{pod.name}: {pod.phase}{reason} on node {pod.node or '(unscheduled)'}"]
    lines += [f"  {container_line(c)}" for c in pod.containers]
    bad = [c for c in pod.conditions if c.status != "True"]
    lines += [f"  condition {c.type}={c.status} {c.reason}: {c.message}".rstrip(": ") for c in bad]
    if pod.owners:
        chain = " <- ".join(f"{o.kind}/{o.name}" + (f" (rev {o.revision})" if o.revision else "") for o in pod.owners)
        lines.append(f"  owned by {chain}")
    if pod.events:
        lines.append("  events (newest first):")
        lines += [f"    {event_line(e)}" for e in pod.events]
    return "\n".join(lines)


def log_text(tails: list[LogTail]) -> str:
    parts = []
    for tail in tails:
        head = f"--- {tail.container}{' (previous)' if tail.previous else ''}"
        if tail.error:
            parts.append(f"{head}: unavailable ({tail.error})")
            continue
        parts.append(f"{head}{' (truncated)' if tail.truncated else ''}, last {len(tail.lines)} lines:")
        parts += tail.lines
    return "\n".join(parts)


def node_text(node: NodeSnapshot) -> str:
    ready = next((c for c in node.conditions if c.type == "Ready"), None)
    lines = [f"node {node.name}: Ready={ready.status if ready else '?'}"
             + (" (cordoned)" if node.unschedulable else "") + (f", kubelet {node.kubelet_version}"
                                                                  if node.kubelet_version else "")]
    for c in node.conditions:
        flagged = (c.type == "Ready") != (c.status == "True")
        lines.append(f"  {'!' if flagged else ' '} {c.type}={c.status} {c.reason}: {c.message}".rstrip(": "))
    if node.taints:
        lines.append(f"  taints: {', '.join(node.taints)}")
    lines += [f"  {event_line(e)}" for e in node.events]
    return "\n".join(lines)


def workload_text(w: WorkloadSnapshot) -> str:
    lines = [f"{w.kind} {w.namespace}/{w.name}: desired={w.desired} ready={w.ready} updated={w.updated} "
             f"available={w.available}" + (f", revision {w.revision}" if w.revision else "")]
    lines += [f"  condition {c.type}={c.status} {c.reason}: {c.message}".rstrip(": ") for c in w.conditions]
    lines += [f"  {event_line(e)}" for e in w.events]
    for pod in w.pods:
        lines += ["  " + line for line in pod_text(pod).splitlines()]
    return "\n".join(lines)


def claim_text(claim: ClaimSnapshot) -> str:
    lines = [f"pvc {claim.namespace}/{claim.name}: {claim.phase}, class {claim.storage_class or '(none)'}, access "
             f"{','.join(claim.access_modes) or '?'}" + (f", volume {claim.volume}" if claim.volume else "")]
    return "\n".join(lines + [f"  {event_line(e)}" for e in claim.events])


def autoscaler_text(hpa: AutoscalerSnapshot) -> str:
    lines = [f"hpa {hpa.namespace}/{hpa.name} -> {hpa.target or '?'}: {hpa.current} current / {hpa.desired} desired, "
             f"min {hpa.min_replicas} max {hpa.max_replicas}"]
    lines += [f"  metric {m}" for m in hpa.metrics]
    lines += [f"  condition {c.type}={c.status} {c.reason}: {c.message}".rstrip(": ") for c in hpa.conditions]
    return "\n".join(lines + [f"  {event_line(e)}" for e in hpa.events])


def pod_summary(pod: PodSnapshot) -> str:
    """Two or three lines for the card: phase, the containers that are not ready, the newest warning."""
    lines = [f"{pod.phase} on {pod.node or '(unscheduled)'}"]
    lines += [container_line(c) for c in pod.containers if not c.ready][:2]
    warning = next((e for e in pod.events if e.type == "Warning"), None)
    if warning:
        lines.append(f"newest warning: {event_line(warning)}")
    return "\n".join(lines)


def log_summary(tails: list[LogTail], lines: int = 3) -> str:
    """The last lines of the crashed container (or the current one): where the crash reason usually is."""
    tail = next((t for t in tails if t.previous and t.lines), None) or next((t for t in tails if t.lines), None)
    if tail is None:
        return ""
    return f"{tail.container}{' (previous)' if tail.previous else ''}: " + "\n".join(tail.lines[-lines:])


def node_summary(node: NodeSnapshot) -> str:
    text = node_text(node).splitlines()
    return "\n".join([text[0], *(line.strip() for line in text[1:] if line.strip().startswith("!"))])


def to_evidence(snapshot: KubeSnapshot, took_ms: float) -> list[Evidence]:
    cluster = snapshot.cluster
    items: list[Evidence] = []
    for pod in snapshot.pods:
        data = pod.model_dump(mode="json", exclude={"logs"}) | {"summary": redact(pod_summary(pod))}
        items.append(Evidence(id=pod_id(cluster, pod), source=SOURCE, title=f"Pod {pod.namespace}/{pod.name}",
                              text=redact(pod_text(pod)), data=data, took_ms=took_ms))
        if pod.logs:
            items.append(Evidence(id=logs_id(cluster, pod), source=SOURCE, title=f"Logs of {pod.namespace}/{pod.name}",
                                  text=redact(log_text(pod.logs)),
                                  data={"tails": [t.model_dump(mode="json") for t in pod.logs],
                                        "summary": redact(log_summary(pod.logs))}, took_ms=took_ms))
    for node in snapshot.nodes:
        items.append(Evidence(id=node_id(cluster, node), source=SOURCE, title=f"Node {node.name}",
                              text=redact(node_text(node)),
                              data=node.model_dump(mode="json") | {"summary": redact(node_summary(node))},
                              took_ms=took_ms))
    for w in snapshot.workloads:
        items.append(Evidence(id=workload_id(cluster, w), source=SOURCE, title=f"{w.kind} {w.namespace}/{w.name}",
                              text=redact(workload_text(w)),
                              data=w.model_dump(mode="json") | {"summary": redact(workload_text(w).splitlines()[0])},
                              took_ms=took_ms))
    for claim in snapshot.claims:
        text = redact(claim_text(claim))
        items.append(Evidence(id=claim_id(cluster, claim), source=SOURCE, title=f"PVC {claim.namespace}/{claim.name}",
                              text=text, data=claim.model_dump(mode="json") | {"summary": text.splitlines()[0]},
                              took_ms=took_ms))
    for hpa in snapshot.autoscalers:
        text = redact(autoscaler_text(hpa))
        items.append(Evidence(id=autoscaler_id(cluster, hpa), source=SOURCE, title=f"HPA {hpa.namespace}/{hpa.name}",
                              text=text, data=hpa.model_dump(mode="json") | {"summary": text.splitlines()[0]},
                              took_ms=took_ms))
    if snapshot.errors and items:
        items[0].data["partial"] = snapshot.errors
    return items
