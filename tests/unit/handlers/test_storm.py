"""The storm digest: grouping, shared labels, the common factor, the card and its one wrap-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.cards import CardStatus
from handlers.storm import (
    Digest,
    Member,
    StormRule,
    StormSettings,
    common_factor,
    digest_card,
    shared_labels,
    wrapup_text,
)

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def members(count: int, on_node: int) -> list[Member]:
    names = ("KubePodCrashLooping", "KubePodNotReady", "TargetDown")
    found = [Member(key=f"k{i}", alertname=names[i % 3], started=T0 + timedelta(seconds=i + 1),
                    labels={"node": "worker-3" if i < on_node else f"worker-{10 + i}", "namespace": f"ns-{i % 4}"})
             for i in range(count)]
    found[on_node - 1] = found[on_node - 1].model_copy(update={"alertname": "NodeNotReady", "started": T0})
    return found


def test_common_factor_names_the_shared_value_and_what_fired_first() -> None:
    assert common_factor(members(50, 41)) == "41 of 50 share node=worker-3; NodeNotReady fired first"


def test_no_common_factor_when_no_value_covers_most() -> None:
    spread = [Member(key=f"k{i}", alertname="TargetDown", started=T0, labels={"instance": f"h{i}:9100"})
              for i in range(10)]
    assert common_factor(spread) is None
    assert shared_labels(spread) == []


def test_digest_card_counts_groups_and_lists_members() -> None:
    digest = Digest(key="storm-1", channel="oncall", started_at=T0, members={m.key: m for m in members(50, 41)})
    for key in ("k0", "k1"):
        digest.members[key].status = "resolved"
    card = digest_card(digest)
    assert card.title == "Alert storm: 50 incidents in #oncall"
    assert (card.field("open"), card.field("resolved")) == ("48", "2")
    assert "Probable common factor: 41 of 50 share node=worker-3; NodeNotReady fired first" in card.text
    assert "• KubePodCrashLooping: 17" in card.text
    assert "… and 25 more" in card.text  # members beyond the first 25 are counted, not listed
    assert "node=worker-3 (41)" in (card.field("shared labels") or "")
    assert card.status is CardStatus.firing


def test_ended_digest_is_resolved_and_wraps_up_once() -> None:
    digest = Digest(key="s", channel="oncall", started_at=T0,
                    members={m.key: m.model_copy(update={"status": "resolved"}) for m in members(10, 8)})
    assert digest.ended
    assert digest_card(digest).status is CardStatus.resolved
    text = wrapup_text(digest, T0 + timedelta(minutes=32))
    assert text.startswith("✅ Storm over after 32m: 10 incidents, all resolved.")
    assert "Common factor: 8 of 10 share node=worker-3" in text


def test_budget_footer_and_rules() -> None:
    digest = Digest(key="s", channel="oncall", started_at=T0, members={m.key: m for m in members(3, 2)},
                    folded_by_budget=2)
    assert "post budget reached: 2 cards folded into this digest" in digest_card(digest).footer
    settings = StormSettings()
    assert settings.rule() == StormRule(threshold=8, window_s=60)
    assert settings.rule(StormRule(threshold=3, window_s=10)).threshold == 3
