"""Incident state for the merge, store and wrap-up tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.incidents import IncidentMeta
from core.models import Citation, Finding
from handlers.wrapup import AlertSpan, IncidentHistory
from integrations.chat import ThreadMessage


def incident_meta(group_status: str = "firing") -> IncidentMeta:
    return IncidentMeta(key="k", receiver="r", group_key="g", status=group_status,  # type: ignore[arg-type]
                        first_received_at=0.0, first_seen=datetime(2026, 1, 1, tzinfo=UTC))


START = datetime(2026, 11, 20, 9, 58, tzinfo=UTC)


def history() -> IncidentHistory:
    return IncidentHistory(
        key="4f1c2b9a77d0e6a1b2c3d4e5", title="Pod payments/auth is crash looping",
        labels={"alertname": "KubePodCrashLooping", "namespace": "payments", "service": "auth"},
        alerts=[AlertSpan(name="KubePodCrashLooping", where="pod=auth-1", started=START,
                          ended=START + timedelta(minutes=23)),
                AlertSpan(name="KubePodCrashLooping", where="pod=auth-2", started=START + timedelta(minutes=2),
                          ended=START + timedelta(minutes=21))],
        findings=[Finding(code="OOMKilled", title="container auth was killed for memory (limit 256Mi)")],
        citations=[Citation(source="pod-crash-looping.md", title="Pod crash looping", section="First checks")],
        tried=[ThreadMessage(user="alice", text="raised the memory limit to 512Mi")],
    )
