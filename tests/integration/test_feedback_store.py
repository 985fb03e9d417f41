"""The feedback store on a real Redis: a vote on a group's card (its `alert` field names several alerts)
moves the cited sections for each of those alerts, since a later incident's card looks its votes up under
its own alert name."""

from __future__ import annotations

from pathlib import Path

import redis as redis_lib

from handlers.feedback import FeedbackStore, Verdict, alert_names


def test_alert_names_of_a_card() -> None:
    assert alert_names("KubePodCrashLooping") == ["KubePodCrashLooping"]
    assert alert_names("KubeNodeNotReady, TargetDown") == ["KubeNodeNotReady", "TargetDown"]
    assert alert_names("") == []


def test_a_vote_on_a_group_card_counts_for_each_alert_it_names(clean_redis: redis_lib.Redis, tmp_path: Path) -> None:
    store = FeedbackStore(clean_redis, tmp_path)
    cited = ["runbooks/node.md#First checks"]
    verdict = Verdict(card_key="group-1", vote="down", platform="slack", channel="oncall", user="ann",
                      alertname="KubeNodeNotReady, TargetDown", cited=cited)
    assert store.record(verdict)
    assert not store.record(verdict)  # one vote per person per card
    assert store.adjustments("KubeNodeNotReady") == {cited[0]: -1}
    assert store.adjustments("TargetDown") == {cited[0]: -1}
    assert store.adjustments("KubeNodeNotReady, TargetDown") == {}
