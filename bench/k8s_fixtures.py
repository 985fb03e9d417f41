"""Write `tests/data/k8s/*.txt` with a real kubectl: its describe/get/top formatting of the fake API's objects.

    .venv/bin/python -m bench.k8s_fixtures [--kubectl PATH]

The project's fake API server (`tests.support.fakes.kubernetes_api`) is extended here with what kubectl
needs besides the collector's reads: discovery, list routes, PVCs, HPAs, events with the object's uid,
and server-side tables for `get pods` / `get events`. The scenarios are the fake's own (OOM-killed
crash loop, image pull, unschedulable, node not ready) plus the new analyzers' causes. The fixtures are
committed; tests never run kubectl. Re-run after changing a scenario.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from tests.support.fakes import kubernetes_api as k8s
from tests.support.fakes.kubernetes_api import FakeKubernetes, json_response

SHORT_NAMES = {"pods": ["po"], "events": ["ev"], "nodes": ["no"], "persistentvolumeclaims": ["pvc"],
               "horizontalpodautoscalers": ["hpa"], "deployments": ["deploy"], "replicasets": ["rs"],
               "statefulsets": ["sts"], "daemonsets": ["ds"]}
OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "k8s"
JsonObj = dict[str, Any]
CORE = {"pods": ("Pod", True), "events": ("Event", True), "nodes": ("Node", False),
        "persistentvolumeclaims": ("PersistentVolumeClaim", True), "namespaces": ("Namespace", False)}
GROUPS = {"apps/v1": {p: (k, True) for p, k in k8s.APPS_PLURALS.items()}, "batch/v1": {"jobs": ("Job", True)},
          "autoscaling/v2": {"horizontalpodautoscalers": ("HorizontalPodAutoscaler", True)}}


def _age(stamp: str | None) -> str:
    if not stamp:
        return "<unknown>"
    seconds = int((datetime.now(UTC) - datetime.fromisoformat(stamp.replace("Z", "+00:00"))).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _pod_cells(pod: JsonObj) -> list[Any]:
    """What the API server's pod printer puts in a table row (Name, Ready, Status, Restarts, Age)."""
    statuses = pod["status"].get("containerStatuses") or []
    reason = pod["status"].get("reason") or pod["status"]["phase"]
    for s in statuses:
        state = s.get("state") or {}
        detail = state.get("waiting") or state.get("terminated") or {}
        if detail.get("reason") and not s.get("ready"):
            reason = detail["reason"]
    restarts = sum(s.get("restartCount", 0) for s in statuses)
    ready = sum(1 for s in statuses if s.get("ready"))
    total = len(pod["spec"].get("containers") or [])
    return [pod["metadata"]["name"], f"{ready}/{total}", reason, str(restarts),
            _age(pod["metadata"].get("creationTimestamp"))]


def _table(columns: list[str], rows: list[tuple[list[Any], JsonObj]]) -> JsonObj:
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": "1"},
            "columnDefinitions": [{"name": c, "type": "string", "format": "", "description": "", "priority": 0}
                                  for c in columns],
            "rows": [{"cells": cells, "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                                 "metadata": obj["metadata"]}} for cells, obj in rows]}


class KubectlFake(FakeKubernetes):
    """The fake API plus what kubectl reads that the collector does not."""

    def __init__(self) -> None:
        super().__init__()
        self.autoscalers: dict[tuple[str, str], JsonObj] = {}

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{tail:.*}", self._kubectl)

    async def _kubectl(self, request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.path.split("/") if p]
        table = "as=Table" in request.headers.get("Accept", "")
        match parts:
            case ["api"]:
                return json_response({"kind": "APIVersions", "versions": ["v1"]})
            case ["apis"]:
                return json_response({"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                    {"name": gv.split("/")[0], "versions": [{"groupVersion": gv, "version": gv.split("/")[1]}],
                     "preferredVersion": {"groupVersion": gv, "version": gv.split("/")[1]}} for gv in GROUPS]})
            case ["api", "v1"]:
                return self._resources("v1", CORE)
            case ["apis", group, version] if f"{group}/{version}" in GROUPS:
                return self._resources(f"{group}/{version}", GROUPS[f"{group}/{version}"])
            case ["api", "v1", "namespaces", ns, "pods"] if table:
                pods = [p for (n, _), p in self.pods.items() if n == ns]
                return json_response(_table(["Name", "Ready", "Status", "Restarts", "Age"],
                                            [(_pod_cells(p), p) for p in pods]))
            case ["api", "v1", "namespaces", ns, "events"] if table:
                events = [e for e in self.events if e["metadata"]["namespace"] == ns]
                return json_response(_table(["Last Seen", "Type", "Reason", "Object", "Message"], [
                    ([_age(e["lastTimestamp"]), e["type"], e["reason"],
                      f"{e['involvedObject']['kind'].lower()}/{e['involvedObject']['name']}", e["message"]], e)
                    for e in events]))
            case ["api", "v1", "pods"]:
                return self._list("PodList", list(self.pods.values()))
            case ["apis", "autoscaling", "v2", "namespaces", ns, "horizontalpodautoscalers", name]:
                return self._found(self.autoscalers.get((ns, name)), "horizontalpodautoscalers", name)
            case ["apis", "apps", "v1", "namespaces", ns, "replicasets"]:
                return self._list("ReplicaSetList", [w for (kind, n, _), w in self.workloads.items()
                                                     if kind == "ReplicaSet" and n == ns])
        headers = CIMultiDict(request.headers)
        headers["Authorization"] = f"Bearer {k8s.TOKEN}"  # kubectl sends no token over plain HTTP
        return await self._dispatch(request.clone(headers=headers))

    def _resources(self, group_version: str, resources: dict[str, tuple[str, bool]]) -> web.Response:
        return json_response({"kind": "APIResourceList", "groupVersion": group_version, "resources": [
            {"name": plural, "singularName": kind.lower(), "namespaced": namespaced, "kind": kind,
             "verbs": ["get", "list"], "shortNames": SHORT_NAMES.get(plural, [])}
            for plural, (kind, namespaced) in resources.items()]})


def uid_events(fake: KubectlFake) -> None:
    """describe asks for events by the object's uid too: give the fake's events their object's uid."""
    for event in fake.events:
        involved = event["involvedObject"]
        involved["uid"] = f"uid-{involved['name']}"
    for obj in [*fake.pods.values(), *fake.workloads.values(), *fake.nodes.values(), *fake.claims.values(),
                *fake.autoscalers.values()]:
        obj["metadata"].setdefault("uid", f"uid-{obj['metadata']['name']}")


# --- scenarios beyond the fake's own -------------------------------------------------------------

NOW = datetime.now(UTC)


def _waiting(reason: str, message: str = "") -> JsonObj:
    return {"waiting": {"reason": reason, **({"message": message} if message else {})}}


def config_missing(fake: KubectlFake) -> str:
    name = "gateway-6c8d7f9b5-5km2p"
    image = "registry.example.internal/shop/gateway:8.0.3"
    spec = k8s.container_spec("gateway", image, memory="512Mi")
    spec["env"] = [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "gateway-db", "key": "password"}}}]
    fake.add_pod(k8s.pod(k8s.NS, name, node="node-1", containers=[spec], phase="Pending",
                         statuses=[k8s.container_status("gateway", image, state=_waiting(
                             "CreateContainerConfigError", 'secret "gateway-db" not found'))],
                         owner=k8s.owner_ref("ReplicaSet", "gateway-6c8d7f9b5")))
    fake.events.append(k8s.event(k8s.NS, "Pod", name, "Failed", 'Error: secret "gateway-db" not found', count=12))
    return name


def job_failed(fake: KubectlFake) -> str:
    job = {"kind": "Job", "apiVersion": "batch/v1",
           "metadata": {"name": "nightly-report", "namespace": k8s.NS, "creationTimestamp": k8s.ts(NOW - timedelta(
               minutes=20)), "labels": {"job-name": "nightly-report"}},
           "spec": {"parallelism": 1, "completions": 1, "backoffLimit": 2, "completionMode": "NonIndexed",
                    "suspend": False, "selector": {"matchLabels": {"job-name": "nightly-report"}},
                    "template": {"metadata": {"labels": {"job-name": "nightly-report"}}, "spec": {"containers": [
                        k8s.container_spec("report", "registry.example.internal/shop/report:1.2")],
                        "restartPolicy": "Never"}}},
           "status": {"failed": 3, "startTime": k8s.ts(NOW - timedelta(minutes=20)), "conditions": [
               k8s.condition("Failed", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit")]}}
    fake.add_workload(job)
    image = "registry.example.internal/shop/report:1.2"
    pod = k8s.pod(k8s.NS, "nightly-report-x7k2p", node="node-1", phase="Failed", labels={"job-name": "nightly-report"},
                  containers=[k8s.container_spec("report", image)], owner=k8s.owner_ref("Job", "nightly-report",
                                                                                        "batch/v1"),
                  statuses=[k8s.container_status("report", image, state={"terminated": {
                      "exitCode": 1, "reason": "Error", "startedAt": k8s.ts(NOW - timedelta(minutes=5)),
                      "finishedAt": k8s.ts(NOW - timedelta(minutes=4))}})])
    fake.add_pod(pod)
    fake.events += [k8s.event(k8s.NS, "Job", "nightly-report", "SuccessfulCreate", "Created pod: nightly-report-x7k2p",
                              type_="Normal", ago_s=300),
                    k8s.event(k8s.NS, "Job", "nightly-report", "BackoffLimitExceeded",
                              "Job has reached the specified backoff limit", ago_s=240)]
    return "nightly-report"


def pvc_pending(fake: KubectlFake) -> str:
    fake.claims[(k8s.NS, "data-search-0")] = {
        "kind": "PersistentVolumeClaim", "apiVersion": "v1",
        "metadata": {"name": "data-search-0", "namespace": k8s.NS, "creationTimestamp": k8s.ts(NOW - timedelta(
            minutes=9)), "finalizers": ["kubernetes.io/pvc-protection"]},
        "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "fast-ssd", "volumeMode": "Filesystem",
                 "resources": {"requests": {"storage": "50Gi"}}},
        "status": {"phase": "Pending"}}
    fake.events.append(k8s.event(k8s.NS, "PersistentVolumeClaim", "data-search-0", "ProvisioningFailed",
                                 'storageclass.storage.k8s.io "fast-ssd" not found', count=37))
    return "data-search-0"


def hpa_at_max(fake: KubectlFake) -> str:
    fake.autoscalers[(k8s.NS, "checkout")] = {
        "kind": "HorizontalPodAutoscaler", "apiVersion": "autoscaling/v2",
        "metadata": {"name": "checkout", "namespace": k8s.NS, "creationTimestamp": k8s.ts(NOW - timedelta(days=40))},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "checkout", "apiVersion": "apps/v1"},
                 "minReplicas": 2, "maxReplicas": 10, "metrics": [{"type": "Resource", "resource": {
                     "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}]},
        "status": {"currentReplicas": 10, "desiredReplicas": 10, "currentMetrics": [{"type": "Resource", "resource": {
            "name": "cpu", "current": {"averageUtilization": 96, "averageValue": "480m"}}}],
            "conditions": [k8s.condition("AbleToScale", "True", "ReadyForNewScale",
                                         "recommended size matches current size"),
                           k8s.condition("ScalingActive", "True", "ValidMetricFound", "the HPA was able to "
                                         "successfully calculate a replica count from cpu resource utilization "
                                         "(percentage of request)"),
                           k8s.condition("ScalingLimited", "True", "TooManyReplicas",
                                         "the desired replica count is more than the maximum replica count")]}}
    return "checkout"


def evicted(fake: KubectlFake) -> str:
    name = "runner-7f6d5c4b9-2xk8m"
    pod = k8s.pod(k8s.NS, name, node="node-3", phase="Failed", statuses=[],
                  containers=[k8s.container_spec("runner", "registry.example.internal/ci/runner:3")])
    pod["status"].update(reason="Evicted", message="The node was low on resource: ephemeral-storage. Threshold "
                         "quantity: 10Gi, available: 8Gi. Container runner was using 14Gi, request is 0, has larger "
                         "consumption of ephemeral-storage. ")
    fake.add_pod(pod)
    fake.events.append(k8s.event(k8s.NS, "Pod", name, "Evicted", "The node was low on resource: ephemeral-storage.",
                                 ago_s=900))
    return name


def init_failing(fake: KubectlFake) -> str:
    name = "orders-5d4c3b2a1-kq8w2"
    image = "registry.example.internal/shop/orders:4.1"
    pod = k8s.pod(k8s.NS, name, node="node-1", phase="Pending", containers=[k8s.container_spec("orders", image)],
                  statuses=[k8s.container_status("orders", image, state=_waiting("PodInitializing"))])
    pod["spec"]["initContainers"] = [k8s.container_spec("migrate", image)]
    pod["status"]["initContainerStatuses"] = [k8s.container_status(
        "migrate", image, restarts=6, state=_waiting("CrashLoopBackOff", "back-off 5m0s restarting failed container"),
        last_state={"terminated": {"exitCode": 1, "reason": "Error", "startedAt": k8s.ts(NOW - timedelta(minutes=3)),
                                   "finishedAt": k8s.ts(NOW - timedelta(minutes=3))}})]
    fake.add_pod(pod)
    fake.events.append(k8s.event(k8s.NS, "Pod", name, "BackOff", "Back-off restarting failed container migrate in "
                                 f"pod {name}_{k8s.NS}(uid-{name})", count=25))
    return name


def multi_attach(fake: KubectlFake) -> str:
    name = "db-0"
    image = "registry.example.internal/shop/postgres:16"
    pod = k8s.pod(k8s.NS, name, node="node-2", phase="Pending", containers=[k8s.container_spec("postgres", image)],
                  statuses=[k8s.container_status("postgres", image, state=_waiting("ContainerCreating"))],
                  conditions=[k8s.condition("PodScheduled", "True")])
    pod["spec"]["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": "data-db-0"}},
                              {"name": "config", "configMap": {"name": "postgres-config"}}]
    pod["spec"]["containers"][0]["volumeMounts"] = [{"name": "data", "mountPath": "/var/lib/postgresql/data"},
                                                    {"name": "config", "mountPath": "/etc/postgresql"}]
    fake.add_pod(pod)
    fake.events += [
        k8s.event(k8s.NS, "Pod", name, "FailedAttachVolume", 'Multi-Attach error for volume "pvc-3f2a" Volume is '
                  "already exclusively attached to one node and can't be attached to another", count=9, ago_s=120),
        k8s.event(k8s.NS, "Pod", name, "FailedMount", "Unable to attach or mount volumes: unmounted volumes=[data], "
                  "unattached volumes=[data config]: timed out waiting for the condition", count=4, ago_s=60)]
    return name


def healthy(fake: KubectlFake) -> str:
    name = "ledger-5c7d9f8b6-2mkqz"
    image = "registry.example.internal/pay/ledger:7.2"
    fake.add_pod(k8s.pod(k8s.NS, name, node="node-2", containers=[k8s.container_spec("ledger", image, memory="1Gi")],
                         statuses=[k8s.container_status("ledger", image, ready=True, state={"running": {
                             "startedAt": k8s.ts(NOW - timedelta(days=6))}})],
                         conditions=[k8s.condition("Ready", "True"), k8s.condition("PodScheduled", "True")]))
    return name


# name -> (scenario, kubectl commands whose outputs make the fixture)
Scenario = Callable[[KubectlFake], Any]
SCENARIOS: dict[str, tuple[Scenario, list[list[str]]]] = {
    "oom-crashloop": (k8s.oom_crashloop, [["describe", "pod", "-n", k8s.NS, k8s.OOM_POD],
                                          ["get", "events", "-n", k8s.NS], ["get", "pods", "-n", k8s.NS],
                                          ["logs", "-n", k8s.NS, k8s.OOM_POD, "-c", "app", "--previous"]]),
    "image-pull": (k8s.image_pull_failure, [["describe", "pod", "-n", k8s.NS, k8s.PULL_POD]]),
    "unschedulable": (k8s.unschedulable, [["describe", "pod", "-n", k8s.NS, k8s.PENDING_POD]]),
    "node-not-ready": (k8s.node_not_ready, [["describe", "node", k8s.BAD_NODE]]),
    "deployment": (k8s.oom_crashloop, [["describe", "deployment", "-n", k8s.NS, "checkout"]]),
    "config-missing": (config_missing, [["describe", "pod", "-n", k8s.NS, "gateway-6c8d7f9b5-5km2p"]]),
    "job-failed": (job_failed, [["describe", "job", "-n", k8s.NS, "nightly-report"],
                                ["get", "pod", "-n", k8s.NS, "nightly-report-x7k2p", "-o", "yaml"]]),
    "pvc-pending": (pvc_pending, [["describe", "pvc", "-n", k8s.NS, "data-search-0"]]),
    "hpa-at-max": (hpa_at_max, [["describe", "hpa", "-n", k8s.NS, "checkout"]]),
    "evicted": (evicted, [["describe", "pod", "-n", k8s.NS, "runner-7f6d5c4b9-2xk8m"]]),
    "init-failing": (init_failing, [["describe", "pod", "-n", k8s.NS, "orders-5d4c3b2a1-kq8w2"]]),
    "multi-attach": (multi_attach, [["describe", "pod", "-n", k8s.NS, "db-0"]]),
    "pending-claim": (k8s.pending_claim, [["describe", "pod", "-n", k8s.NS, k8s.CLAIM_POD],
                                          ["describe", "pvc", "-n", k8s.NS, "data-search-0"]]),
    "healthy": (healthy, [["describe", "pod", "-n", k8s.NS, "ledger-5c7d9f8b6-2mkqz"],
                          ["get", "pod", "-n", k8s.NS, "ledger-5c7d9f8b6-2mkqz", "-o", "json"]]),
}


def run(kubectl: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    version = subprocess.run([kubectl, "version", "--client"], capture_output=True, text=True).stdout.splitlines()[0]
    for name, (scenario, commands) in SCENARIOS.items():
        fake = KubectlFake()
        scenario(fake)
        uid_events(fake)
        with fake.run_in_thread() as server, tempfile.TemporaryDirectory() as home:
            config = Path(home) / "config"
            config.write_text(json.dumps({
                "apiVersion": "v1", "kind": "Config", "current-context": "fake",
                "clusters": [{"name": "fake", "cluster": {"server": server.base_url}}],
                "users": [{"name": "opsbot", "user": {"token": k8s.TOKEN}}],
                "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "opsbot"}}]}))
            env = {**os.environ, "KUBECONFIG": str(config), "HOME": home}
            chunks = []
            for args in commands:
                done = subprocess.run([kubectl, *args], env=env, capture_output=True, text=True, timeout=60)
                if done.returncode:
                    raise SystemExit(f"{name}: kubectl {' '.join(args)}: {done.stderr.strip()}")
                chunks.append(f"$ kubectl {' '.join(args)}\n{done.stdout.rstrip()}\n")
        (OUT / f"{name}.txt").write_text("\n".join(chunks))
        print(f"{name}: {len(commands)} commands")
    (OUT / "README.md").write_text(
        "# Real kubectl output of the fake API's objects\n\nWritten by `.venv/bin/python -m bench.k8s_fixtures` "
        f"with `{version}` against `tests.support.fakes.kubernetes_api` extended with discovery, list routes, PVCs, "
        "HPAs and server-side tables. Ages are relative to when they were written. Do not edit by hand: change the "
        "scenario and re-run.\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kubectl", default=shutil.which("kubectl") or "kubectl")
    run(parser.parse_args().kubectl)


if __name__ == "__main__":
    main()
