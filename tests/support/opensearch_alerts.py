"""A crash-looping pod's alert group for the OpenSearch evidence tests."""

from __future__ import annotations

from datetime import UTC, datetime

from core.events import AlertGroup

POD = "checkout-7d9f8b6c5-x2x4z"
STARTS = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def group(labels: dict[str, str]) -> AlertGroup:
    return AlertGroup.model_validate({
        "version": "4", "groupKey": "g", "status": "firing", "receiver": "opsbot",
        "alerts": [{"status": "firing", "labels": {"alertname": "KubePodCrashLooping", **labels}, "fingerprint": "f",
                    "startsAt": STARTS.isoformat()}]})
