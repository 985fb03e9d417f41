"""An alert group with a generatorURL expression, and Prometheus settings, for the evidence tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from core.events import AlertGroup
from integrations.prometheus.config import PrometheusSettings

POD = "checkout-7d9f8b6c5-x2x4z"
EXPR = 'kube_pod_container_status_restarts_total{namespace="shop"} > 3'


def alert_group(labels: dict[str, str], expr: str = EXPR) -> AlertGroup:
    return AlertGroup.model_validate({
        "version": "4", "groupKey": "g", "status": "firing", "receiver": "opsbot",
        "alerts": [{"status": "firing", "labels": {"alertname": "KubePodCrashLooping", **labels}, "fingerprint": "f",
                    "startsAt": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
                    "generatorURL": f"http://prometheus.example.internal/graph?g0.expr={quote(expr)}&g0.tab=1"}]})


def settings(url: str, **overrides: Any) -> PrometheusSettings:
    return PrometheusSettings(url=url, step_s=1, lookback_s=120, **overrides)
