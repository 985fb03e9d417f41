"""A fake Kubernetes API server speaking the documented core/v1, apps/v1 and batch/v1 JSON.

Holds a tiny cluster (pods, logs, events, ReplicaSets, Deployments, nodes); driven through the
official `kubernetes` client. Only GET is answered: anything else is recorded and refused, so a
test can prove collection is read-only. `delay_s` adds latency to every answer (a slow or hanging
API server).
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from tests.support.fakes.server import FakeServer, json_response

JsonObj = dict[str, Any]
TOKEN = "fake-k8s-token-0123456789"
APPS_PLURALS = {"replicasets": "ReplicaSet", "deployments": "Deployment", "statefulsets": "StatefulSet",
                "daemonsets": "DaemonSet"}


def ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def delay(server: FakeKubernetes | Any) -> None:
    """Answer after `latency_s` (a random duration in that range) plus `delay_s`; `delay_s` is slept in
    slices, so that setting it to 0 releases hanging requests (at teardown)."""
    low, high = server.latency_s
    if high > 0:
        await asyncio.sleep(random.uniform(low, high))
    waited = 0.0
    while waited < server.delay_s:
        await asyncio.sleep(0.05)
        waited += 0.05


def status_error(code: int, reason: str, message: str) -> web.Response:
    return json_response({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                          "message": message, "reason": reason, "code": code}, status=code)


class FakeKubernetes(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.pods: dict[tuple[str, str], JsonObj] = {}
        self.logs: dict[tuple[str, str, str, bool], str] = {}
        self.events: list[JsonObj] = []
        self.workloads: dict[tuple[str, str, str], JsonObj] = {}  # (Kind, namespace, name)
        self.nodes: dict[str, JsonObj] = {}
        self.claims: dict[tuple[str, str], JsonObj] = {}  # PersistentVolumeClaims by (namespace, name)
        self.delay_s = 0.0
        self.latency_s = (0.0, 0.0)

    # --- state ---------------------------------------------------------------------------------
    def add_pod(self, pod: JsonObj) -> None:
        self.pods[(pod["metadata"]["namespace"], pod["metadata"]["name"])] = pod

    def add_workload(self, obj: JsonObj) -> None:
        self.workloads[(obj["kind"], obj["metadata"]["namespace"], obj["metadata"]["name"])] = obj

    def add_node(self, node: JsonObj) -> None:
        self.nodes[node["metadata"]["name"]] = node

    def add_log(self, namespace: str, pod: str, container: str, text: str, previous: bool = False) -> None:
        self.logs[(namespace, pod, container, previous)] = text

    # --- wire ----------------------------------------------------------------------------------
    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{tail:.*}", self._dispatch)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        await delay(self)
        if request.method != "GET":
            return status_error(405, "MethodNotAllowed", f"{request.method} is not allowed: read-only fake")
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return status_error(401, "Unauthorized", "Unauthorized")
        parts = [p for p in request.path.split("/") if p]
        query = request.query
        match parts:
            case ["api", "v1", "namespaces", ns, "pods", name]:
                return self._found(self.pods.get((ns, name)), "pods", name)
            case ["api", "v1", "namespaces", ns, "pods", name, "log"]:
                return self._log(ns, name, query)
            case ["api", "v1", "namespaces", ns, "pods"]:
                return self._list("PodList", [p for (n, _), p in self.pods.items()
                                              if n == ns and _labels_match(p, query.get("labelSelector", ""))])
            case ["api", "v1", "namespaces", ns, "events"]:
                return self._events(ns, query.get("fieldSelector", ""))
            case ["api", "v1", "events"]:
                return self._events(None, query.get("fieldSelector", ""))
            case ["api", "v1", "namespaces", ns, "persistentvolumeclaims", name]:
                return self._found(self.claims.get((ns, name)), "persistentvolumeclaims", name)
            case ["api", "v1", "nodes", name]:
                return self._found(self.nodes.get(name), "nodes", name)
            case ["apis", "apps", "v1", "namespaces", ns, plural, name] if plural in APPS_PLURALS:
                return self._found(self.workloads.get((APPS_PLURALS[plural], ns, name)), plural, name)
            case ["apis", "batch", "v1", "namespaces", ns, "jobs", name]:
                return self._found(self.workloads.get(("Job", ns, name)), "jobs", name)
        return status_error(404, "NotFound", "the server could not find the requested resource")

    def _found(self, obj: JsonObj | None, plural: str, name: str) -> web.Response:
        if obj is None:
            return status_error(404, "NotFound", f'{plural} "{name}" not found')
        return json_response(obj)

    def _list(self, kind: str, items: list[JsonObj]) -> web.Response:
        return json_response({"kind": kind, "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": items})

    def _events(self, ns: str | None, field_selector: str) -> web.Response:
        wanted = dict(part.split("=", 1) for part in field_selector.split(",") if "=" in part)
        items = []
        for event in self.events:
            involved = event["involvedObject"]
            if ns is not None and event["metadata"]["namespace"] != ns:
                continue
            if all(str(involved.get(k.removeprefix("involvedObject."), "")) == v for k, v in wanted.items()):
                items.append(event)
        return self._list("EventList", items)

    def _log(self, ns: str, name: str, query: Any) -> web.Response:
        if (ns, name) not in self.pods:
            return status_error(404, "NotFound", f'pods "{name}" not found')
        container = query.get("container", "")
        previous = query.get("previous") == "true"
        text = self.logs.get((ns, name, container, previous))
        if text is None:
            what = "previous terminated container" if previous else "container"
            return status_error(400, "BadRequest", f'{what} "{container}" in pod "{name}" not found')
        if "tailLines" in query:
            text = "".join(text.splitlines(keepends=True)[-int(query["tailLines"]):])
        if "limitBytes" in query:
            text = text.encode()[: int(query["limitBytes"])].decode(errors="ignore")
        return web.Response(text=text, content_type="text/plain")


def _labels_match(obj: JsonObj, selector: str) -> bool:
    labels = obj["metadata"].get("labels") or {}
    return all(labels.get(k) == v for k, v in (p.split("=", 1) for p in selector.split(",") if "=" in p))


# --- documented object shapes ---------------------------------------------------------------------

def owner_ref(kind: str, name: str, api_version: str = "apps/v1") -> JsonObj:
    return {"apiVersion": api_version, "kind": kind, "name": name, "uid": f"uid-{name}", "controller": True,
            "blockOwnerDeletion": True}


def container_status(name: str, image: str, *, state: JsonObj, last_state: JsonObj | None = None, ready: bool = False,
                     restarts: int = 0) -> JsonObj:
    return {"name": name, "image": image, "imageID": "", "ready": ready, "restartCount": restarts, "started": ready,
            "state": state, "lastState": last_state or {}, "containerID": "containerd://" + "ab12" * 16}


def pod(namespace: str, name: str, *, node: str | None, containers: list[JsonObj], statuses: list[JsonObj],
        phase: str = "Running", conditions: list[JsonObj] | None = None, owner: JsonObj | None = None,
        labels: dict[str, str] | None = None, created: datetime | None = None) -> JsonObj:
    spec: JsonObj = {"containers": containers, "restartPolicy": "Always"}
    if node:
        spec["nodeName"] = node
    return {"kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}", "labels": labels or {},
                         "creationTimestamp": ts(created or datetime.now(UTC) - timedelta(hours=1)),
                         "ownerReferences": [owner] if owner else []},
            "spec": spec,
            "status": {"phase": phase, "conditions": conditions or [], "containerStatuses": statuses,
                       "hostIP": "10.0.0.5" if node else None, "podIP": "10.1.2.3" if node else None,
                       "startTime": ts(datetime.now(UTC) - timedelta(hours=1))}}


def container_spec(name: str, image: str, *, memory: str | None = None, cpu: str | None = None) -> JsonObj:
    limits = {k: v for k, v in (("memory", memory), ("cpu", cpu)) if v}
    return {"name": name, "image": image, "resources": {"limits": limits, "requests": limits}}


def condition(kind: str, status: str, reason: str = "", message: str = "") -> JsonObj:
    cond = {"type": kind, "status": status, "lastTransitionTime": ts(datetime.now(UTC) - timedelta(minutes=10))}
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def event(namespace: str, kind: str, name: str, reason: str, message: str, *, type_: str = "Warning",
          count: int = 1, ago_s: int = 60) -> JsonObj:
    seen = ts(datetime.now(UTC) - timedelta(seconds=ago_s))
    return {"kind": "Event", "apiVersion": "v1",
            "metadata": {"name": f"{name}.{reason.lower()}{ago_s}", "namespace": namespace},
            "involvedObject": {"kind": kind, "name": name, "namespace": namespace, "apiVersion": "v1"},
            "reason": reason, "message": message, "type": type_, "count": count, "firstTimestamp": seen,
            "lastTimestamp": seen, "source": {"component": "kubelet"}, "reportingComponent": "kubelet"}


def replicaset(namespace: str, name: str, deployment: str, *, created: datetime, revision: str) -> JsonObj:
    return {"kind": "ReplicaSet", "apiVersion": "apps/v1",
            "metadata": {"name": name, "namespace": namespace, "creationTimestamp": ts(created),
                         "annotations": {"deployment.kubernetes.io/revision": revision},
                         "ownerReferences": [owner_ref("Deployment", deployment)]},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": deployment}}},
            "status": {"replicas": 1, "readyReplicas": 0}}


def deployment(namespace: str, name: str, *, replicas: int, ready: int, revision: str,
               conditions: list[JsonObj] | None = None) -> JsonObj:
    return {"kind": "Deployment", "apiVersion": "apps/v1",
            "metadata": {"name": name, "namespace": namespace,
                         "creationTimestamp": ts(datetime.now(UTC) - timedelta(days=30)),
                         "annotations": {"deployment.kubernetes.io/revision": revision}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": []}}},
            "status": {"replicas": replicas, "readyReplicas": ready, "updatedReplicas": replicas,
                       "availableReplicas": ready, "conditions": conditions or []}}


def node(name: str, *, ready: str = "True", reason: str = "KubeletReady",
         message: str = "kubelet is posting ready status",
         pressure: dict[str, str] | None = None, taints: list[JsonObj] | None = None) -> JsonObj:
    pressure = pressure or {}
    conditions = [condition(kind, pressure.get(kind, "False"), f"KubeletHasNo{kind}")
                  for kind in ("MemoryPressure", "DiskPressure", "PIDPressure")]
    conditions.append(condition("Ready", ready, reason, message))
    spec: JsonObj = {"taints": taints} if taints else {}
    return {"kind": "Node", "apiVersion": "v1", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "spec": spec,
            "status": {"conditions": conditions, "allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"},
                       "nodeInfo": {"kubeletVersion": "v1.30.2", "kubeProxyVersion": "", "osImage": "Debian 12",
                                    "containerRuntimeVersion": "containerd://1.7", "kernelVersion": "6.1",
                                    "operatingSystem": "linux", "architecture": "amd64", "machineID": "m",
                                    "systemUUID": "s", "bootID": "b"}}}


# --- scenarios ------------------------------------------------------------------------------------

NS = "shop"
OOM_POD = "checkout-7d9f8b6c5-x2x4z"
PULL_POD = "cart-5c7b9d4f8-q9w8e"
PENDING_POD = "search-6f5d8c7b9-m3n4b"
BAD_NODE = "node-2"


def oom_crashloop(fake: FakeKubernetes, *, rollout_ago_s: int = 900, previous_log: str = "",
                  current_log: str = "") -> None:
    """checkout (Deployment rev 7, rolled out `rollout_ago_s` ago): its container is OOM-killed and crash looping."""
    now = datetime.now(UTC)
    rs_name = OOM_POD.rsplit("-", 1)[0]
    fake.add_workload(deployment(NS, "checkout", replicas=2, ready=1, revision="7"))
    fake.add_workload(replicaset(NS, rs_name, "checkout", created=now - timedelta(seconds=rollout_ago_s),
                                 revision="7"))
    terminated = {"terminated": {"exitCode": 137, "reason": "OOMKilled", "startedAt": ts(now - timedelta(minutes=3)),
                                 "finishedAt": ts(now - timedelta(minutes=2)),
                                 "containerID": "containerd://" + "cd" * 32}}
    image = "registry.example.internal/shop/checkout:2.4.1"
    waiting = {"waiting": {"reason": "CrashLoopBackOff",
                           "message": f"back-off 2m40s restarting failed container=app pod={OOM_POD}"}}
    not_ready = condition("Ready", "False", "ContainersNotReady", "containers with unready status: [app]")
    fake.add_pod(pod(NS, OOM_POD, node="node-1", labels={"app": "checkout"}, owner=owner_ref("ReplicaSet", rs_name),
                     containers=[container_spec("app", image, memory="256Mi", cpu="500m")],
                     statuses=[container_status("app", image, restarts=5, state=waiting, last_state=terminated)],
                     conditions=[condition("PodScheduled", "True"), not_ready]))
    for ago, reason, message, type_, count in (
            (30, "BackOff", "Back-off restarting failed container app in pod " + OOM_POD, "Warning", 12),
            (150, "Pulled", 'Container image "registry.example.internal/shop/checkout:2.4.1" already present',
             "Normal", 6),
            (40, "BackOff", "Back-off restarting failed container app in pod " + OOM_POD, "Warning", 3),
            (160, "Started", "Started container app", "Normal", 6)):
        fake.events.append(event(NS, "Pod", OOM_POD, reason, message, type_=type_, count=count, ago_s=ago))
    fake.add_log(NS, OOM_POD, "app", current_log or "starting checkout 2.4.1\nwarming caches\n")
    fake.add_log(NS, OOM_POD, "app", previous_log or ("starting checkout 2.4.1\nloaded 120000 products\n"
                                                      "java.lang.OutOfMemoryError: Java heap space\n"), previous=True)
    fake.add_node(node("node-1"))


def image_pull_failure(fake: FakeKubernetes) -> None:
    image = "registry.example.internal/shop/cart:9.9.9"
    fake.add_pod(pod(NS, PULL_POD, node="node-1", labels={"app": "cart"},
                     containers=[container_spec("cart", image)],
                     statuses=[container_status("cart", image, state={"waiting": {
                         "reason": "ImagePullBackOff", "message": f'Back-off pulling image "{image}"'}})],
                     phase="Pending"))
    fake.events += [
        event(NS, "Pod", PULL_POD, "Failed", f'Failed to pull image "{image}": rpc error: code = NotFound desc = '
              f'failed to pull and unpack image "{image}": not found', ago_s=50, count=4),
        event(NS, "Pod", PULL_POD, "Failed", "Error: ErrImagePull", ago_s=50, count=4),
        event(NS, "Pod", PULL_POD, "BackOff", f'Back-off pulling image "{image}"', ago_s=20, count=9),
    ]
    fake.add_node(node("node-1"))


def unschedulable(fake: FakeKubernetes) -> None:
    message = ("0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
               "2 Insufficient memory. preemption: 0/3 nodes are available: 1 Preemption is not helpful for "
               "scheduling, 2 No preemption victims found for incoming pod.")
    fake.add_pod(pod(NS, PENDING_POD, node=None, labels={"app": "search"}, phase="Pending",
                     containers=[container_spec("search", "registry.example.internal/shop/search:1.0", memory="64Gi")],
                     statuses=[], conditions=[condition("PodScheduled", "False", "Unschedulable", message)]))
    fake.events.append(event(NS, "Pod", PENDING_POD, "FailedScheduling", message, ago_s=30, count=7))


CLAIM_POD = "search-0"


def pending_claim(fake: FakeKubernetes) -> None:
    """search-0 waits for its claim data-search-0, whose StorageClass does not exist."""
    message = "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are " \
              "available: 3 Preemption is not helpful for scheduling."
    spec = container_spec("search", "registry.example.internal/shop/search:1.0")
    spec["volumeMounts"] = [{"name": "data", "mountPath": "/data"}]
    claimed = pod(NS, CLAIM_POD, node=None, phase="Pending", containers=[spec], statuses=[],
                  conditions=[condition("PodScheduled", "False", "Unschedulable", message)])
    claimed["spec"]["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": "data-search-0"}}]
    fake.add_pod(claimed)
    fake.claims[(NS, "data-search-0")] = {
        "kind": "PersistentVolumeClaim", "apiVersion": "v1",
        "metadata": {"name": "data-search-0", "namespace": NS, "uid": "uid-data-search-0",
                     "creationTimestamp": ts(datetime.now(UTC) - timedelta(minutes=9))},
        "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "fast-ssd", "volumeMode": "Filesystem",
                 "resources": {"requests": {"storage": "50Gi"}}},
        "status": {"phase": "Pending"}}
    fake.events += [event(NS, "Pod", CLAIM_POD, "FailedScheduling", message, ago_s=30, count=7),
                    event(NS, "PersistentVolumeClaim", "data-search-0", "ProvisioningFailed",
                          'storageclass.storage.k8s.io "fast-ssd" not found', count=37)]


def node_not_ready(fake: FakeKubernetes) -> None:
    fake.add_node(node(BAD_NODE, ready="Unknown", reason="NodeStatusUnknown",
                       message="Kubelet stopped posting node status.", pressure={"DiskPressure": "True"},
                       taints=[{"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"}]))
    fake.events.append(event("default", "Node", BAD_NODE, "NodeNotReady",
                             f"Node {BAD_NODE} status is now: NodeNotReady", type_="Normal", ago_s=120))
