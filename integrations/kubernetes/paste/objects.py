"""Snapshots from `kubectl get ... -o yaml|json`: the API's own JSON, read by the live collector's parser."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml

from integrations.kubernetes import parse
from integrations.kubernetes.models import (
    AutoscalerSnapshot,
    ClaimSnapshot,
    EventInfo,
    NodeSnapshot,
    PodSnapshot,
    WorkloadSnapshot,
)
from integrations.kubernetes.paste.described import owners_of

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")
MAX_EVENTS = 50


@dataclass
class Objects:
    pods: list[PodSnapshot] = field(default_factory=list)
    nodes: list[NodeSnapshot] = field(default_factory=list)
    workloads: list[WorkloadSnapshot] = field(default_factory=list)
    claims: list[ClaimSnapshot] = field(default_factory=list)
    autoscalers: list[AutoscalerSnapshot] = field(default_factory=list)
    events: list[tuple[str, str, str, EventInfo]] = field(default_factory=list)  # (namespace, kind, name, event)
    unknown_kinds: list[str] = field(default_factory=list)
    fragments: list[Any] = field(default_factory=list)  # documents without a kind (jsonpath, grep of a yaml)


def documents(text: str, kind: str) -> list[Any]:
    """Raises ValueError when the text is not valid YAML/JSON."""
    if kind == "json":
        return [json.loads(text)]
    try:
        return [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise ValueError(str(exc).splitlines()[0]) from None


def read(docs: list[Any]) -> Objects:
    found = Objects()
    queue = list(docs)
    while queue:
        doc = queue.pop(0)
        if not isinstance(doc, dict) or ("kind" not in doc and "items" not in doc):
            found.fragments.append(doc)
            continue
        kind = str(doc.get("kind", ""))
        if kind.endswith("List") or ("items" in doc and "kind" not in doc):
            queue += list(doc.get("items") or [])
            continue
        if kind == "Pod":
            pod = parse.pod(doc)
            ref = parse.controller_of(doc)
            pod.owners = owners_of(f"{ref[0]}/{ref[1]}") if ref else []
            found.pods.append(pod)
        elif kind in WORKLOAD_KINDS:
            found.workloads.append(parse.workload(doc, kind))
        elif kind == "Node":
            found.nodes.append(parse.node(doc))
        elif kind == "PersistentVolumeClaim":
            found.claims.append(parse.claim(doc))
        elif kind == "HorizontalPodAutoscaler":
            found.autoscalers.append(parse.autoscaler(doc))
        elif kind == "Event":
            involved = doc.get("involvedObject") or doc.get("regarding") or {}
            (event,) = parse.events([doc], 1)
            found.events.append((involved.get("namespace") or (doc.get("metadata") or {}).get("namespace", ""),
                                 involved.get("kind", ""), involved.get("name", ""), event))
        else:
            found.unknown_kinds.append(kind or "(no kind)")
    return found
