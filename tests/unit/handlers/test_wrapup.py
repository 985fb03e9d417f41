"""Incident wrap-up and the post-mortem draft: the summary text, the draft's front matter and
sections. The round trip through the knowledge index: tests/integration/test_wrapup_knowledge.py."""

from __future__ import annotations

from pathlib import Path

import yaml

from handlers.postmortem import summarize
from handlers.wrapup import draft_postmortem, wrapup_text, write_draft
from tests.support.incidents import history


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


def test_the_draft_is_redacted(tmp_path: Path) -> None:
    """What people wrote in the thread (and the findings) can carry tokens; the draft is a shared file."""
    from integrations.chat import ThreadMessage

    incident = history()
    incident.tried.append(ThreadMessage(user="bob", text="logged in with password=Hunter2-Auth-DB, no luck"))
    text = write_draft(incident, tmp_path).read_text()
    assert "Hunter2-Auth-DB" not in text and "password=[redacted]" in text
    assert yaml.safe_load(text.split("---")[1])["title"] == "Pod payments/auth is crash looping"
