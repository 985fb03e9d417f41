"""Pod analyzers for the causes an SRE meets every week: a wrong command, a missing ConfigMap/Secret or
key, a volume that will not mount, DNS failures and refused connections in the logs, evictions, init
containers failing, a pod that is not ready (readiness probe or gate) without restarting.

Detection rests on container states, event reasons and the documented messages of `signals`, never on
the wording of one case. Each finding names its objects and carries read-only steps and fixes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from core.models import DocRef, Finding, Fix, Severity, Step
from integrations.kubernetes import signals, steps
from integrations.kubernetes.models import ContainerStatus, PodSnapshot

MAX_LOG_SCAN = 500  # the last lines of each log tail: where a crash's cause is, and a bound on time


def _where(pod: PodSnapshot) -> str:
    return f"{pod.namespace}/{pod.name}" if pod.namespace else pod.name


def _owner_target(pod: PodSnapshot) -> str | None:
    top = next((o for o in pod.owners if o.kind in ("Deployment", "StatefulSet", "DaemonSet")), None)
    return f"{top.kind.lower()}/{top.name}" if top else None


def _messages(pod: PodSnapshot) -> Iterable[tuple[str, str]]:
    """(container or '', message) for every state message and event message of the pod."""
    for c in pod.containers:
        for text in (c.message, c.last_termination.message if c.last_termination else ""):
            if text:
                yield c.name, text
    for e in pod.events:
        yield "", e.message


def _first(match: re.Match[str], *groups: str) -> str:
    return next((match.group(g) for g in groups if match.group(g)), "")


def command_not_found(pod: PodSnapshot, refs: list[str]) -> list[Finding]:
    """Exit 127/126, a StartError/ContainerCannotRun, or the runtime's `executable file not found`."""
    hits: dict[str, str] = {}
    for c in pod.containers:
        code = c.exit_code if c.state == "terminated" else None
        last = c.last_termination.exit_code if c.last_termination else None
        if code in (126, 127) or last in (126, 127):
            hits.setdefault(c.name, f"exit code {code if code in (126, 127) else last}")
        if c.reason in signals.COMMAND_REASONS or (c.last_termination and
                                                   c.last_termination.reason in signals.COMMAND_REASONS):
            hits.setdefault(c.name, c.reason if c.reason in signals.COMMAND_REASONS else "StartError")
    for container, text in _messages(pod):
        match = signals.COMMAND_FAILED.search(text)
        if match:
            hits[container or next(iter(hits), "")] = match.group(0)
    for tail in pod.logs:
        match = next((m for line in tail.lines[-20:] if (m := signals.COMMAND_FAILED.search(line))), None)
        if match:
            hits[tail.container] = match.group(0)
    if not hits:
        return []
    container, detail = next(iter(hits.items()))
    fixes = [Fix(command=f"kubectl set image {steps.ns(pod.namespace)}{target} {container or 'CONTAINER'}=IMAGE:TAG",
                 why="point the container at an image that has the command (or fix `command:` in the manifest)")
             for target in [_owner_target(pod)] if target]
    if target := _owner_target(pod):
        fixes.append(steps.rollback(pod.namespace, target, "the last rollout changed the image or its command"))
    return [Finding(
        code="CommandNotFound", severity=Severity.error,
        title=f"The command of {container or 'a container'} in {_where(pod)} cannot be run",
        explanation=f"{detail}: the entrypoint/command is not in the image, is not executable, or was built for "
                    "another CPU architecture (`exec format error`). Compare `command:`/`args:` with the image.",
        evidence_refs=refs,
        steps=[steps.describe("pod", pod.namespace, pod.name, "Command, Args, Image and Last State"),
               steps.logs(pod.namespace, pod.name, container, True)],
        fixes=fixes, docs=[steps.doc("Define a command and arguments for a container",
                                     "tasks/inject-data-application/define-command-argument-container/"),
                           steps.runbook("CommandNotFound")])]


def config_ref_missing(pod: PodSnapshot, refs: list[str]) -> list[Finding]:
    """A ConfigMap, Secret, or one of its keys, that an env var, envFrom or volume names does not exist."""
    found: dict[tuple[str, str, str], str] = {}
    for _, text in _messages(pod):
        for match in signals.CONFIG_MISSING.finditer(text):
            kind = (match.group("kind") or match.group("kind2") or "").lower()
            name = match.group("name") or match.group("name2") or ""
            found.setdefault(("Secret" if kind == "secret" else "ConfigMap", name, match.group("key") or ""),
                             match.group(0))
    findings = []
    for (kind, name, key), quote in found.items():
        what = f"key {key} of {kind} {name}" if key else f"{kind} {name}"
        resource = kind.lower()
        findings.append(Finding(
            code="ConfigRefMissing", severity=Severity.error,
            title=f"{_where(pod)} references a missing {what}",
            explanation=f"The kubelet says: {quote}. The container cannot start until the {what} exists in "
                        f"namespace {pod.namespace or '(the pod’s)'} or the reference is marked optional.",
            evidence_refs=refs,
            steps=[steps.get(f"{resource} {name}",
                             pod.namespace, f"does the {kind} exist here (names and keys only)",
                             "-o name" if resource == "secret" else ""),
                   steps.describe("pod", pod.namespace, pod.name, "which env var, envFrom or volume names it")],
            # the value comes from a file named after the key: no `key=value` of a secret on the card
            fixes=[Fix(command=f"kubectl create {resource} {'generic ' if resource == 'secret' else ''}{name} "
                               f"{steps.ns(pod.namespace)}--from-file=./{key or 'KEY'}",
                       why=f"create the missing {kind} from a file named after the key, holding the value (or fix "
                           "the name in the manifest)",
                       caution="use the real values from your secret store; a placeholder value starts the app "
                               "with a wrong configuration")],
            docs=[steps.doc("Configure a Pod to use a ConfigMap", "tasks/configure-pod-container/configure-pod-"
                            "configmap/"), steps.runbook("ConfigRefMissing")]))
    return findings


def volume_mount_failed(pod: PodSnapshot, refs: list[str]) -> list[Finding]:
    """FailedMount / FailedAttachVolume events, except those whose only cause is a missing ConfigMap/Secret."""
    failed = [e for e in pod.events if e.reason in signals.MOUNT_EVENTS
              and not signals.CONFIG_MISSING.search(e.message)]
    if not failed:
        return []
    multi = next((m for e in failed if (m := signals.MULTI_ATTACH.search(e.message))), None)
    volume = next((_first(m, "volume", "volumes") for e in failed if (m := signals.MOUNT_FAILED.search(e.message))
                   and _first(m, "volume", "volumes")), "")
    if multi:
        cause = (f"volume {multi.group('volume')} is still attached to another node (Multi-Attach: a "
                 "ReadWriteOnce volume follows one node; the old pod or node still holds it)")
    elif any(e.reason == "FailedAttachVolume" for e in failed):
        cause = "the volume could not be attached to the node (cloud/CSI attach failed)"
    else:
        cause = "the kubelet could not mount it"
    claims = [v.source for v in pod.volumes if v.kind == "persistentVolumeClaim" and v.source]
    more = [steps.get("volumeattachments", None, "which node holds the volume")] if multi else []
    return [Finding(
        code="VolumeMountFailed", severity=Severity.error,
        title=f"Volume {volume or '(see events)'} of {_where(pod)} will not mount",
        explanation=f"{cause}. Latest: {failed[0].message}",
        evidence_refs=refs,
        steps=[steps.describe("pod", pod.namespace, pod.name, "Volumes and the mount events"),
               *(steps.describe("pvc", pod.namespace, c, "the claim, its volume and access modes") for c in claims),
               *more, steps.events(pod.namespace, pod.name)],
        fixes=[Fix(command=f"kubectl delete pod {steps.ns(pod.namespace)}OLD_POD_ON_OTHER_NODE",
                   why="a Multi-Attach clears once the pod that holds the volume on the other node is gone",
                   caution="only the old pod that still holds the volume; its controller recreates it")]
        if multi else [],
        docs=[steps.doc("Persistent Volumes", "concepts/storage/persistent-volumes/"),
              steps.runbook("VolumeMountFailed")])]


def evicted(pod: PodSnapshot, refs: list[str]) -> list[Finding]:
    events = [e for e in pod.events if e.reason == "Evicted"]
    if pod.reason != "Evicted" and not events:
        return []
    text = " ".join([pod.message, *(e.message for e in events)])
    match = signals.EVICTED.search(text)
    resource = ""
    if match:
        resource = match.group("resource") or match.group("condition") or ("ephemeral-storage" if match.group("local")
                                                                            else "")
    node = pod.node or "its node"
    return [Finding(
        code="Evicted", severity=Severity.error,
        title=f"Pod {_where(pod)} was evicted" + (f" (node low on {resource})" if resource else ""),
        explanation=(pod.message or (events[0].message if events else "The kubelet evicted the pod."))
        + f" The kubelet on {node} reclaims resources by evicting pods that use more than they request.",
        evidence_refs=refs,
        steps=[*([steps.describe("node", None, pod.node, "pressure conditions and allocated resources")]
                 if pod.node else []),
               steps.get("pods", pod.namespace, "other evicted or failed pods",
                         "--field-selector status.phase=Failed")],
        fixes=[Fix(command=f"kubectl delete pod {steps.ns(pod.namespace)}{pod.name}",
                   why="evicted pods stay as Failed records; their controller already made a replacement",
                   caution="removes the record of the eviction: read `kubectl describe pod` first")],
        docs=[steps.doc("Node-pressure eviction", "concepts/scheduling-eviction/node-pressure-eviction/"),
              steps.runbook("Evicted")])]


def init_container_failing(pod: PodSnapshot, refs: list[str]) -> list[Finding]:
    bad: list[ContainerStatus] = []
    for c in pod.containers:
        if not c.init:
            continue
        failed_now = c.state == "terminated" and c.exit_code not in (None, 0)
        failed_before = c.last_termination is not None and c.last_termination.exit_code not in (None, 0)
        if failed_now or c.reason in ("CrashLoopBackOff", "Error") or (failed_before and not c.ready
                                                                       and c.state != "running"):
            bad.append(c)
    if not bad:
        return []
    c = bad[0]
    last = c.last_termination
    code = c.exit_code if c.exit_code not in (None, 0) else (last.exit_code if last else None)
    return [Finding(
        code="InitContainerFailing", severity=Severity.error,
        title=f"Init container {c.name} of {_where(pod)} keeps failing",
        explanation=f"{c.reason or c.state}" + (f", exit code {code}" if code is not None else "")
        + f", restarted {c.restart_count} times. The app containers do not start until every init container "
          "succeeds; its logs say why it exits.",
        evidence_refs=refs,
        steps=[steps.logs(pod.namespace, pod.name, c.name, c.restart_count > 0),
               steps.describe("pod", pod.namespace, pod.name, "Init Containers: state, exit code, command")],
        docs=[steps.doc("Debug Init Containers", "tasks/debug/debug-application/debug-init-containers/"),
              steps.runbook("InitContainerFailing")])]


def readiness_failing(pod: PodSnapshot, refs: list[str]) -> list[Finding]:
    """Not ready because of its readiness probe (without liveness failures: it is not restarted) or gate."""
    probes = [e for e in pod.events if e.reason == "Unhealthy"]
    readiness = [e for e in probes if signals.READINESS.search(e.message)]
    liveness = [e for e in probes if signals.LIVENESS.search(e.message)]
    conditions = {c.type: c for c in pod.conditions}
    gates = [g for g in pod.readiness_gates if conditions.get(g) is None or conditions[g].status != "True"]
    findings = []
    if readiness and not liveness:
        findings.append(Finding(
            code="ReadinessFailing", severity=Severity.warning,
            title=f"Readiness probe failing on {_where(pod)}: it gets no traffic",
            explanation=f"{sum(e.count for e in readiness)} failures; latest: {readiness[0].message}. The pod is "
                        "running but out of its Services' endpoints; it is not restarted (that is liveness).",
            evidence_refs=refs,
            steps=[steps.describe("pod", pod.namespace, pod.name, "the Readiness probe and its failures"),
                   steps.logs(pod.namespace, pod.name, "", False)],
            docs=[steps.doc("Configure probes", "tasks/configure-pod-container/configure-liveness-readiness-"
                            "startup-probes/"), steps.runbook("ReadinessFailing")]))
    if gates:
        findings.append(Finding(
            code="ReadinessFailing", severity=Severity.warning,
            title=f"Readiness gate {gates[0]} of {_where(pod)} is not satisfied",
            explanation=f"The pod declares readiness gates {', '.join(gates)}; until the controller that owns them "
                        "(a load balancer controller, usually) sets them True the pod stays not ready.",
            evidence_refs=refs, steps=[steps.describe("pod", pod.namespace, pod.name, "Readiness Gates and "
                                                      "Conditions")],
            docs=[steps.doc("Pod readiness gate", "concepts/workloads/pods/pod-lifecycle/#pod-readiness-gate"),
                  steps.runbook("ReadinessFailing")]))
    return findings


def _log_hits(pod: PodSnapshot, pattern: re.Pattern[str],
              hint: re.Pattern[str]) -> tuple[list[tuple[str, re.Match[str]]], list[str]]:
    """(container, match) of every log line the pattern finds, and the hosts/addresses its groups name."""
    hits = []
    for tail in pod.logs:
        for line in tail.lines[-MAX_LOG_SCAN:]:
            match = pattern.search(line) if hint.search(line) else None
            if match:
                hits.append((tail.container, match))
    named = sorted({v for _, m in hits if (v := next((g for g in m.groupdict().values() if g), ""))})
    return hits, named


def _service_step(hosts: list[str], namespace: str) -> Step:
    """`kubectl get service NAME -n NS` for a cluster name (`db`, `db.shop`, `db.shop.svc.cluster.local`)."""
    for host in hosts:
        labels = host.split(".")
        cluster = len(labels) <= 2 or (len(labels) > 2 and labels[2] == "svc")
        if cluster and re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", labels[0]):
            where = labels[1] if len(labels) > 1 else namespace
            return steps.get(f"service {labels[0]}", where, "does the Service it looks up exist (and its namespace)")
    return steps.get("services", namespace, "does the Service it looks up exist here")


def _from_logs(code: str, title: str, hits: list[tuple[str, re.Match[str]]], shows: str, meaning: str, refs: list[str],
               next_steps: list[Step], docs: list[DocRef]) -> list[Finding]:
    """A cause read from the pod's log lines: how many lines say so and the latest, then what it means."""
    return [Finding(code=code, severity=Severity.error, title=title,
                    explanation=f"{len(hits)} log lines show {shows} (latest: {hits[-1][1].group(0)}). {meaning}",
                    evidence_refs=refs, steps=next_steps, docs=docs)]


def dns_failure(pod: PodSnapshot, refs: list[str]) -> list[Finding]:
    hits, hosts = _log_hits(pod, signals.DNS_FAILED, signals.DNS_HINT)
    if not hits:
        return []
    named = f" {', '.join(hosts[:3])}" if hosts else ""
    return _from_logs(
        "DNSFailure", f"{_where(pod)} cannot resolve{named or ' a host name'}", hits, "name resolution failing",
        "Either the name is wrong (a Service in another namespace needs `name.namespace`), the Service does "
        "not exist, or cluster DNS (CoreDNS) is not answering.", refs,
        [steps.get("pods", "kube-system", "is CoreDNS running", "-l k8s-app=kube-dns"),
         _service_step(hosts, pod.namespace),
         Step(command="kubectl logs -n kube-system -l k8s-app=kube-dns --tail 50",
              why="what CoreDNS says (SERVFAIL, upstream timeouts)")],
        [steps.doc("Debugging DNS Resolution", "tasks/administer-cluster/dns-debugging-resolution/"),
         steps.runbook("DNSFailure")])


def dependency_refused(pod: PodSnapshot, refs: list[str]) -> list[Finding]:
    hits, addresses = _log_hits(pod, signals.REFUSED, signals.REFUSED_HINT)
    if not hits:
        return []
    named = ", ".join(addresses[:3])
    service = next((a.split(":")[0] for a in addresses if not re.match(r"^[\d.\[\]:]+$", a.split(":")[0])
                    and a.split(":")[0] not in ("localhost",)), "")
    more = [steps.get(f"endpoints {service.split('.')[0]}", pod.namespace, "does the Service have ready endpoints")] \
        if service else [steps.get("endpoints", pod.namespace, "which Services have no ready endpoints")]
    return _from_logs(
        "DependencyRefused", f"{_where(pod)}: connection refused by {named or 'a dependency'}", hits,
        "connections refused", "The dependency is down, not listening on that port yet, or its Service has no "
        "ready endpoints; fix it first, the restarts of this pod follow from it.", refs,
        [*more, steps.logs(pod.namespace, pod.name, hits[-1][0], False)],
        [steps.doc("Debug Services", "tasks/debug/debug-application/debug-service/"),
         steps.runbook("DependencyRefused")])


def analyze_causes(pod: PodSnapshot, refs: list[str]) -> list[Finding]:
    findings: list[Finding] = []
    for analyzer in (command_not_found, config_ref_missing, volume_mount_failed, evicted, init_container_failing,
                     readiness_failing, dns_failure, dependency_refused):
        findings += analyzer(pod, refs)
    return findings
