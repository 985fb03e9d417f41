"""Kubernetes alert groups (pod, workload, node labels) for the collector tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.events import AlertGroup


def group(labels: dict[str, str], *, minutes_ago: int = 5, name: str = "KubePodCrashLooping") -> AlertGroup:
    return AlertGroup.model_validate({
        "version": "4", "groupKey": "{}:{alertname=\"x\"}", "status": "firing", "receiver": "opsbot",
        "commonLabels": {"alertname": name, **labels}, "commonAnnotations": {"summary": f"{name} fired"},
        "alerts": [{"status": "firing", "labels": {"alertname": name, "severity": "critical", **labels},
                    "annotations": {}, "fingerprint": "f1",
                    "startsAt": (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()}]})
