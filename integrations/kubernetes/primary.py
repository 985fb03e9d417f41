"""Which finding is the primary problem: the most specific cause first, its consequences after.

Data, not code: a failed Job is the answer to "what happened to my Job" (its pods' exits explain it); a
missing ConfigMap explains the CreateContainerConfigError, a wrong command the crash loop, a refused
dependency or a DNS failure the restarts, a Pending claim the unschedulable pod, node pressure the
evictions, a liveness probe the restarts. Within one code, the more severe finding leads.
"""

from __future__ import annotations

from core.models import Finding

PRIMARY_ORDER = (
    "JobFailed", "ConfigRefMissing", "CommandNotFound", "PVCPending", "VolumeMountFailed", "QuotaExceeded",
    "ImagePullBackOff", "OOMKilled", "DNSFailure", "DependencyRefused", "NodeNotReady", "NodeMemoryPressure",
    "NodeDiskPressure", "NodePIDPressure", "NodeNetworkUnavailable", "Evicted", "ProbeFailing", "InitContainerFailing",
    "CreateContainerConfigError", "Unschedulable", "CrashLoopBackOff", "RolloutStuck", "HPAAtMax", "ReadinessFailing",
    "MemoryNearLimit", "CPUThrottled", "ReplicasMismatch", "RecentRollout", "NoActiveFailure",
)
_RANK = {code: i for i, code in enumerate(PRIMARY_ORDER)}


def ordered(findings: list[Finding]) -> list[Finding]:
    """Primary first; unknown codes after the known ones, stable otherwise."""
    return sorted(findings, key=lambda f: (_RANK.get(f.code, len(PRIMARY_ORDER) - 1), -f.severity.rank))


def primary(findings: list[Finding]) -> Finding | None:
    return ordered(findings)[0] if findings else None
