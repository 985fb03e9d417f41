"""Pasted kubectl output -> the live collector's `KubeSnapshot`, so /k8s runs the same analyzers.

`parse_paste` cuts the paste into parts (`detect`), reads each with the parser of its kind (`describe`
trees via `described`, `get` tables and `top` via `tables`, `-o yaml|json` via `objects`, logs), folds
them into one snapshot (`assemble`) and says what it could not read. A paste over `MAX_BYTES` is cut
at a line boundary and says so; nothing is guessed from a part no parser recognised.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from datetime import datetime

from core.models import utcnow
from integrations.kubernetes.models import KubeSnapshot
from integrations.kubernetes.paste import described, detect, objects, tables
from integrations.kubernetes.paste.assemble import FULL, TABLE, Registry
from integrations.kubernetes.paste.describe import Node as DescribeNode
from integrations.kubernetes.paste.describe import describe_kind
from integrations.kubernetes.paste.describe import parse as parse_describe
from integrations.kubernetes.paste.parts import Part

MAX_BYTES = 128 * 1024
__all__ = ["MAX_BYTES", "Part", "PastedOutput", "parse_paste"]


@dataclass
class PastedOutput:
    snapshot: KubeSnapshot
    parts: list[Part]
    lines: list[str]
    now: datetime  # when it was read: pasted ages count back from here
    trimmed: str = ""  # "read the first 128 KB of 200 KB", when it was cut
    loose_events: list[str] = field(default_factory=list)  # events about objects no analyzer reads

    @property
    def unknown(self) -> list[Part]:
        return [p for p in self.parts if p.note]

    @property
    def recognised(self) -> list[Part]:
        return [p for p in self.parts if not p.note]


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_QUOTED = re.compile(r"^> ?", re.MULTILINE)


def clean(text: str) -> str:
    """What chat and terminals add around kubectl's output: code fences, colour codes (kubecolor, stern),
    a quote block's `> `, an indent shared by every line."""
    text = _ANSI.sub("", text.replace("\r\n", "\n"))
    lines = [line for line in text.splitlines() if not line.strip().startswith("```")]
    if lines and all(line.startswith(">") for line in lines if line.strip()):
        lines = [_QUOTED.sub("", line, count=1) for line in lines]
    return textwrap.dedent("\n".join(lines))


def trim(text: str, limit: int = MAX_BYTES) -> tuple[str, str]:
    raw = text.encode()
    if len(raw) <= limit:
        return text, ""
    head = raw[:limit].decode(errors="ignore")
    head = head[: head.rfind("\n")] if "\n" in head else head
    return head, (f"trimmed: read the first {len(head.encode()) // 1024} KB of {len(raw) // 1024} KB; the rest was "
                  "not analysed (paste the relevant part, or use `opsbot k8s diagnose --input FILE`)")


def parse_paste(text: str, *, now: datetime | None = None, limit: int = MAX_BYTES) -> PastedOutput:
    now = now or utcnow()
    body, trimmed = trim(clean(text), limit)
    lines = body.splitlines()
    registry = Registry()
    parts = detect.split(lines)
    deferred = [p for p in parts if p.kind in ("logs", "describe-events") or (
        p.kind == "describe" and not p.hints.get("name") and not any(detect.DESCRIBE_START.match(x) for x in p.lines))]
    for part in parts:
        if part not in deferred:
            _read(part, registry, now)
    for part in deferred:  # whose they are is known once every named object was read
        if part.kind == "logs":
            part.objects.append(registry.logs(part))
        else:
            _read(part, registry, now)
    loose = [f"{kind}/{name}: {e.reason} {e.message}".strip() for _, kind, name, e in registry.loose_events]
    return PastedOutput(snapshot=registry.finish(), parts=parts, lines=lines, now=now, trimmed=trimmed,
                        loose_events=loose)


def _read(part: Part, registry: Registry, now: datetime) -> None:
    namespace = part.namespace
    if part.kind == "describe":
        _read_describe(part, registry, now)
    elif part.kind in ("yaml", "json"):
        _read_objects(part, registry)
    elif part.kind == "describe-events":
        target = registry.unnamed_pod(part.namespace, tables.described_events(part.lines, now))
        part.objects.append(f"pod/{target.name}")
    elif part.kind in ("events", "events-rows"):
        rows = part.lines if part.kind == "events" else [tables.GET_EVENTS_HEADER, *part.lines]
        for ns, kind, name, event in tables.events(rows, namespace, now):
            if (key := registry.event(ns, kind, name, event)) and key not in part.objects:
                part.objects.append(key)
    elif part.kind in ("pods", "pods-rows"):
        rows = part.lines if part.kind == "pods" else [tables.pods_header(part.lines), *part.lines]
        part.objects += [f"pod/{registry.pod(p, TABLE).name}" for p in tables.pods(rows, namespace)]
    elif part.kind == "top-pods":
        part.objects += sorted({registry.usage(ns, pod, usage) for ns, pod, usage in
                                tables.top_pods(part.lines, namespace)})
    elif part.kind == "nodes":
        part.objects += [f"node/{registry.node(n, TABLE).name}" for n in tables.nodes(part.lines)]
    elif part.kind == "pvcs":
        part.objects += [f"persistentvolumeclaim/{registry.claim(c, TABLE).name}"
                         for c in tables.claims(part.lines, namespace)]
    elif part.kind == "hpas":
        part.objects += [f"horizontalpodautoscaler/{registry.autoscaler(h, TABLE).name}"
                         for h in tables.autoscalers(part.lines, namespace)]
    elif part.kind == "deployments":
        part.objects += [f"deployment/{registry.workload(w, TABLE).name}"
                         for w in tables.deployments(part.lines, namespace)]
    elif part.kind == "jobs":
        part.objects += [f"job/{registry.workload(w, TABLE).name}" for w in tables.jobs(part.lines, namespace)]
    elif part.kind == "top-nodes":
        part.objects += [f"node/{row.get('NAME', '')}" for row in tables.top_nodes(part.lines)]
    elif part.kind == "table":
        part.note = "a table of a kind opsbot does not read"
    else:
        part.note = "not recognised as kubectl output"


# `kubectl describe KIND`: the short and plural names kubectl accepts
DESCRIBE_KINDS = {"pod": "Pod", "pods": "Pod", "po": "Pod", "deployment": "Deployment", "deployments": "Deployment",
                  "deploy": "Deployment", "job": "Job", "jobs": "Job", "node": "Node", "nodes": "Node", "no": "Node",
                  "pvc": "PersistentVolumeClaim", "persistentvolumeclaim": "PersistentVolumeClaim",
                  "persistentvolumeclaims": "PersistentVolumeClaim", "hpa": "HorizontalPodAutoscaler",
                  "horizontalpodautoscaler": "HorizontalPodAutoscaler", "rs": "ReplicaSet", "replicaset": "ReplicaSet",
                  "replicasets": "ReplicaSet", "sts": "StatefulSet", "statefulset": "StatefulSet",
                  "statefulsets": "StatefulSet", "ds": "DaemonSet", "daemonset": "DaemonSet", "daemonsets": "DaemonSet"}


def _read_describe(part: Part, registry: Registry, now: datetime) -> None:
    root = parse_describe(part.lines)
    kind = describe_kind(root) or DESCRIBE_KINDS.get(part.hints.get("kind", ""), "")
    name = root.value_of("Name") or part.hints.get("name", "")
    if not kind and not name and (root.get("Events") or root.get("Containers")):
        kind = "Pod"  # a describe cut down to its events or containers, with no command: a pod's
    if not name and kind != "Pod":
        part.note = f"a describe block of {kind or 'an object'} without its Name"
        return
    if name and not root.value_of("Name"):  # cut at the top: the converters read the name from the tree
        root.children.append(DescribeNode(key="Name", value=name, indent=0))
    if kind == "Pod":
        pod = described.pod(root, now)
        pod.namespace = pod.namespace or part.namespace
        if not name:
            target = registry.unnamed_pod(pod.namespace, pod.events)
            pod.name, pod.namespace = target.name, pod.namespace or target.namespace
        part.objects.append(f"pod/{registry.pod(pod, FULL).name}")
    elif kind in objects.WORKLOAD_KINDS:
        workload = described.workload(root, kind, now)
        workload.namespace = workload.namespace or part.namespace
        part.objects.append(f"{kind.lower()}/{registry.workload(workload, FULL).name}")
    elif kind == "Node":
        node = described.node(root, now)
        node.name = node.name or name
        part.objects.append(f"node/{registry.node(node, FULL).name}")
    elif kind == "PersistentVolumeClaim":
        claim = described.claim(root, now)
        part.objects.append(f"persistentvolumeclaim/{registry.claim(claim, FULL).name}")
    elif kind == "HorizontalPodAutoscaler":
        hpa = described.autoscaler(root, now)
        part.objects.append(f"horizontalpodautoscaler/{registry.autoscaler(hpa, FULL).name}")
    else:
        part.note = f"describe of a {kind or 'kind'} opsbot does not read"


def _read_objects(part: Part, registry: Registry) -> None:
    try:
        found = objects.read(objects.documents("\n".join(part.lines), part.kind))
    except ValueError as exc:
        part.note = f"not valid {part.kind.upper()}: {exc}"
        return
    part.objects += [f"pod/{registry.pod(p, FULL).name}" for p in found.pods]
    part.objects += [f"{w.kind.lower()}/{registry.workload(w, FULL).name}" for w in found.workloads]
    part.objects += [f"node/{registry.node(n, FULL).name}" for n in found.nodes]
    part.objects += [f"persistentvolumeclaim/{registry.claim(c, FULL).name}" for c in found.claims]
    part.objects += [f"horizontalpodautoscaler/{registry.autoscaler(h, FULL).name}" for h in found.autoscalers]
    for ns, kind, name, event in found.events:
        if key := registry.event(ns, kind, name, event):
            part.objects.append(key)
    pod = part.hints.get("name") if DESCRIBE_KINDS.get(part.hints.get("kind", "")) == "Pod" else None
    if found.fragments and pod and (key := registry.fragment(part.namespace, pod, found.fragments,
                                                              part.hints.get("path", ""))):
        part.objects.append(key)
    elif found.fragments and not part.objects:
        part.note = "a fragment of an object's JSON/YAML that does not say which object it is"
        return
    if found.unknown_kinds and not part.objects:
        part.note = f"objects of kinds opsbot does not read: {', '.join(sorted(set(found.unknown_kinds)))}"

