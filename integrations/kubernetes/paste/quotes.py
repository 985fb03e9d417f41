"""The pasted lines a finding rests on: per code, what its evidence looks like in kubectl's output,
searched in the parts that described the finding's objects (the whole paste when none matched).
"""

from __future__ import annotations

import re

from core.models import Finding
from integrations.kubernetes import signals
from integrations.kubernetes.paste.parts import Part

MAX_QUOTES = 3
MAX_QUOTE_CHARS = 220


def _any(*patterns: str | re.Pattern[str]) -> re.Pattern[str]:
    return re.compile("|".join(p.pattern if isinstance(p, re.Pattern) else p for p in patterns), re.I)


QUOTES: dict[str, re.Pattern[str]] = {
    "OOMKilled": _any(r"OOMKill", r"Exit Code:\s+137"),
    "CrashLoopBackOff": _any(r"CrashLoopBackOff", r"Back-off restarting", r"Exit Code:\s+\d+", r"Restart Count:"),
    "ImagePullBackOff": _any(r"ImagePullBackOff|ErrImagePull|InvalidImageName|Failed to pull|pull access denied|"
                             r"manifest unknown|not found"),
    "CreateContainerConfigError": _any(r"CreateContainer(?:Config)?Error"),
    "ConfigRefMissing": _any(signals.CONFIG_MISSING),
    "CommandNotFound": _any(signals.COMMAND_FAILED, r"Exit Code:\s+12[67]\b", r"StartError|ContainerCannotRun|"
                            r"RunContainerError"),
    "Unschedulable": _any(r"FailedScheduling|Unschedulable|nodes are available"),
    "ProbeFailing": _any(r"(?:Liveness|Startup|Readiness) probe (?:failed|errored)"),
    "ReadinessFailing": _any(r"Readiness probe (?:failed|errored)", r"readiness.?gate", r"ReadinessGates"),
    "NodeNotReady": _any(r"NotReady|NodeStatusUnknown|Kubelet stopped posting|KubeletNotReady|^\s*Ready\s+(?:False|"
                         r"Unknown)"),
    "NodeMemoryPressure": _any(r"MemoryPressure\s+True|insufficient memory|EvictionThresholdMet"),
    "NodeDiskPressure": _any(r"DiskPressure\s+True|disk pressure|EvictionThresholdMet|FreeDiskSpaceFailed"),
    "NodePIDPressure": _any(r"PIDPressure\s+True"),
    "NodeNetworkUnavailable": _any(r"NetworkUnavailable\s+True"),
    "RolloutStuck": _any(r"ProgressDeadlineExceeded"),
    "ReplicasMismatch": _any(r"^Replicas:", r"unavailable", r"^\S+\s+\d+/\d+\s+\d+\s+\d+"),
    "JobFailed": _any(r"BackoffLimitExceeded|DeadlineExceeded|backoff limit|Pods Statuses:|\bFailed\b"),
    "VolumeMountFailed": _any(r"FailedMount|FailedAttachVolume|FailedMapVolume|Multi-Attach|MountVolume"),
    "PVCPending": _any(r"ProvisioningFailed|FailedBinding|^Status:\s+Pending|\bPending\b.*\bpvc\b|unbound|"
                       r"storageclass"),
    "DNSFailure": _any(signals.DNS_FAILED),
    "DependencyRefused": _any(signals.REFUSED),
    "Evicted": _any(r"Evicted|low on resource|EvictionThresholdMet"),
    "HPAAtMax": _any(r"ScalingLimited|TooManyReplicas|Max replicas:|\d+ current / \d+ desired"),
    "InitContainerFailing": _any(r"Init:\w+", r"Init Containers:"),
    "QuotaExceeded": _any(signals.QUOTA, r"exceeded quota|failed quota"),
    "MemoryNearLimit": _any(r"\d+Mi\b|\d+Gi\b"),
    "NoActiveFailure": _any(r"^Status:\s+Running", r"^\S+\s+(\d+)/\1\s+Running", r"Ready\s+True"),
}


def object_keys(finding: Finding) -> set[str]:
    """`k8s:pasted:pod/shop/web-1/logs` -> {"pod/web-1"} (what `Part.objects` holds)."""
    keys = set()
    for ref in finding.evidence_refs:
        path = ref.split(":", 2)[-1].split("/")
        if len(path) >= 2:
            kind = {"pvc": "persistentvolumeclaim", "hpa": "horizontalpodautoscaler"}.get(path[0], path[0])
            name = path[2] if len(path) >= 3 and path[0] != "node" else path[1]
            keys.add(f"{kind}/{name}")
    return keys


def quotes(finding: Finding, parts: list[Part]) -> list[str]:
    pattern = QUOTES.get(finding.code)
    if pattern is None:
        return []
    keys = object_keys(finding)
    names = {key.split("/", 1)[1] for key in keys}
    mine = [p for p in parts if keys & set(p.objects)] or parts
    found: list[str] = []
    for part in mine:
        shared = len(part.objects) > 1  # a table or events of several objects: only lines naming ours
        for line in part.lines:
            text = line.strip()
            if shared and names and not any(name in text for name in names):
                continue
            if text and pattern.search(text) and text not in found:
                found.append(text if len(text) <= MAX_QUOTE_CHARS else text[:MAX_QUOTE_CHARS - 1] + "…")
                if len(found) >= MAX_QUOTES:
                    return found
    return found
