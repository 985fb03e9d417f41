"""Seen before: identity from structure, the previous occurrence with injected time, the line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers.seen_before import RETENTION_S, HistoryEntry, identity, previous, seen_field, seen_line, thread_lines

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def entry(days_ago: float, minutes: int = 12, **extra: object) -> HistoryEntry:
    started = NOW - timedelta(days=days_ago)
    return HistoryEntry(incident_key="k", alertname="KubePodCrashLooping", started=started,
                        resolved=started + timedelta(minutes=minutes), **extra)


def test_identity_ignores_labels_that_change_every_time() -> None:
    base = {"namespace": "shop", "deployment": "checkout", "severity": "warning", "pod": "checkout-7d9f-abcde"}
    again = {**base, "pod": "checkout-7d9f-zzzzz", "severity": "critical", "prometheus": "k8s/replica-1"}
    assert identity("KubePodCrashLooping", base) == identity("KubePodCrashLooping", again)
    assert identity("KubePodCrashLooping", base) != identity("KubePodCrashLooping", {**base, "namespace": "cart"})
    assert identity("KubePodCrashLooping", base) != identity("KubePodOOM", base)


def test_previous_is_the_newest_resolved_before_this_start_within_30_days() -> None:
    yesterday, last_week, old = entry(1), entry(7), entry(31)
    assert previous([last_week, yesterday, old], NOW, NOW) == yesterday
    assert previous([old], NOW, NOW) is None  # past the retention
    assert previous([entry(0.001, minutes=60)], NOW, NOW) is None  # still open when this one started
    assert RETENTION_S == 30 * 86400


def test_seen_line_says_when_how_long_where_and_the_thread() -> None:
    line = seen_line(entry(1, link="https://slack.com/archives/C1/p1700000000000001",
                           thread=thread_lines(["restarted the kubelet\n\nit was the disk", "thanks"])))
    assert line == ("2026-11-30 09:00 UTC, resolved after 12m, https://slack.com/archives/C1/p1700000000000001; "
                    "thread: “restarted the kubelet” / “it was the disk” / “thanks”")
    assert seen_field(None) == []
    assert seen_field(entry(1))[0].name == "seen before"
