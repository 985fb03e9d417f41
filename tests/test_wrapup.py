"""Incident wrap-up and the post-mortem draft: the summary text, the draft's front matter and
sections, and the round trip: a written draft, once ingested, is "seen before" on the next card."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from bot.config import load_settings
from bot.events import AlertGroup
from bot.models import Citation, Finding
from handlers.knowledge_enricher import SEEN_BEFORE, KnowledgeEnricher
from handlers.postmortem import summarize
from handlers.wrapup import AlertSpan, IncidentHistory, draft_postmortem, wrapup_text, write_draft
from integrations.chat import ThreadMessage
from knowledge import service

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


def test_wrapup_has_duration_timeline_findings_and_what_was_tried() -> None:
    text = wrapup_text(history())
    assert text.startswith("Resolved after 23m at 2026-11-20 10:21 UTC: KubePodCrashLooping (2 alert(s)).")
    assert "• 2026-11-20 09:58 UTC KubePodCrashLooping (pod=auth-1) started firing" in text
    assert text.index("auth-2) started") < text.index("auth-2) resolved") < text.index("auth-1) resolved")
    assert "• OOMKilled: container auth was killed" in text and "• alice: raised the memory limit" in text


def test_draft_has_front_matter_and_every_section_a_summary_reads() -> None:
    name, text = draft_postmortem(history())
    assert name == "2026-11-20-pod-payments-auth-is-crash-looping-4f1c2b9a.md"
    front = yaml.safe_load(text.split("---")[1])
    assert front == {"title": "Pod payments/auth is crash looping", "doc_type": "postmortem",
                     "alerts": ["KubePodCrashLooping"], "services": ["auth", "payments"], "date": "2026-11-20",
                     "status": "draft"}
    summary = summarize(text)  # the draft is a post-mortem our own summariser understands
    assert {"what_happened", "impact", "timeline", "root_cause", "action_items"} <= set(summary.sections)
    assert len(summary.timeline) == 4


def test_draft_is_written_once(tmp_path: Path) -> None:
    path = write_draft(history(), tmp_path)
    path.write_text(path.read_text() + "\nEdited by a person.\n")
    assert write_draft(history(), tmp_path) == path
    assert path.read_text().endswith("Edited by a person.\n")


def test_ingested_draft_is_seen_before_on_the_next_similar_alert(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("sentence_transformers", reason="the 'knowledge' extra is not installed")
    monkeypatch.setenv("OPSBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OPSBOT_KNOWLEDGE__BUNDLED_RUNBOOKS", "false")
    settings = load_settings()
    path = write_draft(history(), tmp_path / "drafts")
    try:
        summary = service.ingest_paths(settings, [path])
        assert summary.chunks_added > 0
        group = AlertGroup.model_validate({
            "version": "4", "groupKey": "{}:{}", "status": "firing", "receiver": "opsbot",
            "groupLabels": {}, "commonLabels": {"alertname": "KubePodCrashLooping", "namespace": "payments"},
            "commonAnnotations": {"summary": "Pod payments/auth-9 is crash looping"}, "externalURL": "http://am",
            "alerts": [{"status": "firing", "fingerprint": "aa", "startsAt": "2026-11-22T10:00:00Z",
                        "labels": {"alertname": "KubePodCrashLooping", "pod": "auth-9"}, "annotations": {}}],
        })
        enrichment = KnowledgeEnricher(settings).collect(group)
    finally:
        service.close_all()
    seen = [c for c in enrichment.citations if c.title.startswith(SEEN_BEFORE)]
    assert seen and seen[0].source == path.name
    assert json.dumps(seen[0].model_dump())  # a plain citation the card can show
