"""A KubePodCrashLooping alert group as Alertmanager sends it, for the knowledge enricher tests."""

from __future__ import annotations

from core.events import AlertGroup


def webhook(**annotations: str) -> AlertGroup:
    labels = {"alertname": "KubePodCrashLooping", "namespace": "payments", "pod": "auth-7d9f-x2k9p",
              "severity": "critical"}
    alert = {
        "status": "firing", "labels": labels, "annotations": annotations, "fingerprint": "f3eb9258635f759a",
        "startsAt": "2026-11-22T13:06:16.272Z", "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prom:9090/graph?g0.expr=max_over_time%28kube_pod_container_status_waiting_reason"
                        "%7Breason%3D%22CrashLoopBackOff%22%7D%5B5m%5D%29+%3E%3D+1&g0.tab=1",
    }
    return AlertGroup.model_validate({
        "version": "4", "groupKey": '{}:{alertname="KubePodCrashLooping"}', "status": "firing",
        "receiver": "opsbot", "groupLabels": {"alertname": "KubePodCrashLooping"}, "commonLabels": labels,
        "commonAnnotations": annotations, "externalURL": "http://am:9093", "alerts": [alert],
    })
