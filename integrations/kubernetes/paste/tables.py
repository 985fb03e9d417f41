"""Snapshots from `kubectl get` tables (default and `-o wide`, with or without `-A`) and `kubectl top`.

A table says less than describe: a pod row gives its phase, one status word and the restart count, so
the container it synthesises has no name. Status words are kubectl's printer's (`CrashLoopBackOff`,
`Init:Error`, `Evicted`, `Completed`, ...): documented values, mapped onto the container state they mean.
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
    PodSnapshot,
    Termination,
    Usage,
    WorkloadSnapshot,
)
from integrations.kubernetes.paste import columns
from integrations.kubernetes.quantity import parse_bytes, parse_millicores
from integrations.redaction import redact

WAITING = ("CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "InvalidImageName", "CreateContainerConfigError",
           "CreateContainerError", "RunContainerError", "ContainerCreating", "PodInitializing", "ErrImageNeverPull")
TERMINATED = {"OOMKilled": 137, "Error": None, "Completed": 0, "ContainerCannotRun": None, "StartError": None,
              "DeadlineExceeded": None, "Signal": None}
FAILED_POD_REASONS = ("Evicted", "NodeLost", "OutOfcpu", "OutOfmemory", "OutOfpods", "NodeAffinity", "Shutdown",
                      "UnexpectedAdmissionError", "Terminated")


def rows(lines: list[str]) -> list[dict[str, str]]:
    content = [line.expandtabs(8).rstrip() for line in lines if line.strip()]
    if not content:
        return []
    header = columns.header_columns(content[0])
    found = [columns.split_row(line, header) for line in content[1:] if not columns.is_dashes(line)]
    for row in found:  # `kubectl get all` names rows `pod/web-1`, `deployment.apps/web`
        if "/" in row.get("NAME", "") and "OBJECT" not in row:
            row["NAME"] = row["NAME"].split("/", 1)[1]
    return found


def _ready(text: str) -> tuple[int, int] | None:
    ready, _, total = text.partition("/")
    return (int(ready), int(total)) if ready.isdigit() and total.isdigit() else None


def _status_container(status: str, ready: bool, restarts: int) -> ContainerStatus:
    init = status.startswith("Init:")
    word = status.removeprefix("Init:")
    if word in WAITING:
        return ContainerStatus(name="", init=init, ready=False, restart_count=restarts, state="waiting", reason=word)
    if word in TERMINATED or word.startswith("Signal:") or word.startswith("ExitCode:"):
        code = TERMINATED.get(word)
        if ":" in word and word.split(":", 1)[1].isdigit():
            code = int(word.split(":", 1)[1]) + (128 if word.startswith("Signal:") else 0)
        reason = word.split(":")[0]
        return ContainerStatus(name="", init=init, ready=False, restart_count=restarts, state="terminated",
                               reason=reason, exit_code=code,
                               last_termination=Termination(reason=reason, exit_code=code) if restarts else None)
    return ContainerStatus(name="", init=init, ready=ready and not init, restart_count=restarts,
                           state="running" if word in ("Running", "Terminating") else "unknown")


_POD_COLUMNS = ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
_WIDE_COLUMNS = ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]


def pods_header(lines: list[str]) -> str:
    """The header of `get pods` rows pasted without it, from how many cells a row has (-A adds NAMESPACE,
    -o wide four columns), placed where each cell starts."""
    row = next(line.expandtabs(8) for line in lines if line.strip())
    cells = [(m.group(0), m.start()) for m in re.finditer(r"\S+(?: \S+)*", row)]
    names = {5: _POD_COLUMNS, 6: ["NAMESPACE", *_POD_COLUMNS], 9: _POD_COLUMNS + _WIDE_COLUMNS,
             10: ["NAMESPACE", *_POD_COLUMNS, *_WIDE_COLUMNS]}.get(len(cells), _POD_COLUMNS)
    header = ""
    for name, (_, start) in zip(names, cells, strict=False):
        header = header.ljust(start) + name
    return header


def _phase(status: str) -> str:
    if status == "Completed":
        return "Succeeded"
    if status in FAILED_POD_REASONS:
        return "Failed"
    if status in ("Pending", "ContainerCreating", "PodInitializing") or status.startswith("Init:") \
            or status in WAITING[1:5] or status.startswith("CreateContainer"):
        return "Pending"  # never started: waiting for an image, a config, an init container
    return "Unknown" if status in ("Unknown", "") else "Running"


def pods(lines: list[str], namespace: str) -> list[PodSnapshot]:
    found = []
    for row in rows(lines):
        status = row.get("STATUS", "")
        counts = _ready(row.get("READY", ""))
        restarts = columns.leading_int(row.get("RESTARTS", "")) or 0
        phase = _phase(status)
        node = row.get("NODE", "")
        ready_all = bool(counts and counts[0] == counts[1] and counts[1] > 0)
        containers = [] if status in FAILED_POD_REASONS or status == "Pending" else [
            _status_container(status, ready_all, restarts)]
        conditions = [Condition(type="Ready", status="True" if ready_all else "False")] if counts else []
        gates = _ready(row.get("READINESS GATES", ""))
        unmet = [f"{gates[1] - gates[0]} of {gates[1]} readiness gates"] if gates and gates[0] < gates[1] else []
        found.append(PodSnapshot(namespace=row.get("NAMESPACE", namespace), name=row.get("NAME", ""), phase=phase,
                                 reason=status if status in FAILED_POD_REASONS else "",
                                 node=node if node and node != "<none>" else None, containers=containers,
                                 conditions=conditions, readiness_gates=unmet))
    return found


_EVENT_SUFFIX = re.compile(r"\.[0-9a-f]{8,}$")
GET_EVENTS_HEADER = "LAST SEEN   TYPE      REASON    OBJECT    MESSAGE"
DESCRIBE_EVENT = re.compile(r"^\s*(?P<type>Normal|Warning)\s{2,}(?P<reason>\w+)\s{2,}(?P<age>\S.*?)\s{2,}"
                            r"(?P<source>\S+(?:, \S+)?)\s{2,}(?P<message>.*)$")


def described_events(lines: list[str], now: datetime) -> list[EventInfo]:
    """Describe's event rows without their header; lines that are no row continue the message above."""
    found: list[EventInfo] = []
    for line in lines:
        match = DESCRIBE_EVENT.match(line.expandtabs(8))
        if match:
            age = match.group("age")
            seconds = columns.age_seconds(age)
            found.append(EventInfo(type=match.group("type"), reason=match.group("reason"),
                                   message=redact(match.group("message").strip()), count=columns.repeat_count(age),
                                   last_seen=now - timedelta(seconds=seconds) if seconds is not None else None))
        elif found and line.strip():
            found[-1].message = f"{found[-1].message} {redact(line.strip())}"
    return sorted(found, key=lambda e: -(e.last_seen.timestamp() if e.last_seen else 0.0))


def _kind_name(text: str) -> tuple[str, str]:
    """`pod/web-1` (or the old `Pod` + name columns) -> ("Pod", "web-1")."""
    kind, _, name = text.partition("/")
    known = {"pod": "Pod", "node": "Node", "job": "Job", "replicaset": "ReplicaSet", "deployment": "Deployment",
             "statefulset": "StatefulSet", "daemonset": "DaemonSet", "persistentvolumeclaim": "PersistentVolumeClaim",
             "horizontalpodautoscaler": "HorizontalPodAutoscaler", "cronjob": "CronJob", "service": "Service",
             "endpoints": "Endpoints", "ingress": "Ingress", "persistentvolume": "PersistentVolume"}
    return known.get(kind.lower(), kind), name


def events(lines: list[str], namespace: str, now: datetime) -> list[tuple[str, str, str, EventInfo]]:
    """(namespace, kind, name, event) per row: `get events` default and wide, `kubectl events`, the old layout."""
    found = []
    for row in rows(lines):
        # the old layout has KIND and the event's NAME (OBJECT.HEXSUFFIX) instead of OBJECT
        old = f"{row.get('KIND', '')}/{_EVENT_SUFFIX.sub('', row.get('NAME', ''))}" if row.get("KIND") else ""
        obj = row.get("OBJECT") or old
        kind, name = _kind_name(obj)
        seconds = columns.age_seconds(row.get("LAST SEEN", ""))
        count = columns.leading_int(row.get("COUNT", "")) or columns.repeat_count(row.get("LAST SEEN", ""))
        event = EventInfo(type=row.get("TYPE", "Normal") or "Normal", reason=row.get("REASON", ""),
                          message=redact(row.get("MESSAGE", "")), count=count,
                          last_seen=now - timedelta(seconds=seconds) if seconds is not None else None,
                          object=f"{kind}/{name}")
        found.append((row.get("NAMESPACE", namespace), kind, name, event))
    return found


def top_pods(lines: list[str], namespace: str) -> list[tuple[str, str, Usage]]:
    """(namespace, pod, usage) per row; with --containers a POD column and one row per container."""
    found = []
    for row in rows(lines):
        pod = row.get("POD") or row.get("NAME", "")
        usage = Usage(container=row.get("NAME", "") if "POD" in row else "",
                      cpu_m=parse_millicores(row.get("CPU(cores)")), memory_bytes=parse_bytes(row.get("MEMORY(bytes)")))
        found.append((row.get("NAMESPACE", namespace), pod, usage))
    return found


def nodes(lines: list[str]) -> list[NodeSnapshot]:
    found = []
    for row in rows(lines):
        words = row.get("STATUS", "").split(",")
        ready = "True" if "Ready" in words else "False" if "NotReady" in words else "Unknown"
        found.append(NodeSnapshot(name=row.get("NAME", ""), unschedulable="SchedulingDisabled" in words,
                                  conditions=[Condition(type="Ready", status=ready, reason=row.get("STATUS", ""))],
                                  kubelet_version=row.get("VERSION", "")))
    return found


def top_nodes(lines: list[str]) -> list[dict[str, str]]:
    return rows(lines)


def claims(lines: list[str], namespace: str) -> list[ClaimSnapshot]:
    return [ClaimSnapshot(namespace=row.get("NAMESPACE", namespace), name=row.get("NAME", ""),
                          phase=row.get("STATUS", "Unknown"), volume=row.get("VOLUME", ""),
                          capacity=row.get("CAPACITY", ""), storage_class=row.get("STORAGECLASS", ""),
                          access_modes=[m for m in row.get("ACCESS MODES", "").split(",") if m])
            for row in rows(lines)]


def autoscalers(lines: list[str], namespace: str) -> list[AutoscalerSnapshot]:
    return [AutoscalerSnapshot(namespace=row.get("NAMESPACE", namespace), name=row.get("NAME", ""),
                               target=row.get("REFERENCE", ""),
                               min_replicas=columns.leading_int(row.get("MINPODS", "")),
                               max_replicas=columns.leading_int(row.get("MAXPODS", "")),
                               current=columns.leading_int(row.get("REPLICAS", "")),
                               metrics=[m.strip() for m in row.get("TARGETS", "").split(",") if m.strip()])
            for row in rows(lines)]


def deployments(lines: list[str], namespace: str) -> list[WorkloadSnapshot]:
    found = []
    for row in rows(lines):
        counts = _ready(row.get("READY", ""))
        found.append(WorkloadSnapshot(kind="Deployment", namespace=row.get("NAMESPACE", namespace),
                                      name=row.get("NAME", ""), desired=counts[1] if counts else None,
                                      ready=counts[0] if counts else None,
                                      updated=columns.leading_int(row.get("UP-TO-DATE", "")),
                                      available=columns.leading_int(row.get("AVAILABLE", ""))))
    return found


def jobs(lines: list[str], namespace: str) -> list[WorkloadSnapshot]:
    found = []
    for row in rows(lines):
        counts = _ready(row.get("COMPLETIONS", ""))
        status = row.get("STATUS", "")
        conditions = [Condition(type="Failed", status="True", reason="")] if status == "Failed" else []
        found.append(WorkloadSnapshot(kind="Job", namespace=row.get("NAMESPACE", namespace), name=row.get("NAME", ""),
                                      desired=counts[1] if counts else None, ready=counts[0] if counts else None,
                                      conditions=conditions))
    return found
