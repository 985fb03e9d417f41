"""Alert storms: many new incidents in one channel become one digest card, updated in place.

Pure logic (no Redis here): the digest model, grouping by alertname and by the labels members share,
the probable common factor ("41 of 50 share node=worker-3; NodeNotReady fired first"), the digest's
card and its one wrap-up. `handlers.budgets` counts arrivals; the bot decides and stores.

Members past the threshold are *folded* into the digest: their own cards are not posted (not even in
the digest's thread). A thread of 50 replies is 50 more posts against the platform's rate limit and 50
more notifications, which is what a storm digest exists to avoid; each member stays an incident in
Redis (its state, resolve and history), and the digest lists every one of them with what and where.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from core.cards import Card, CardField, CardKind, CardStatus
from core.models import Severity
from handlers.triage import format_duration

SHARED_LABELS = ("node", "namespace", "cluster", "instance")
MAX_MEMBER_LINES = 25
MAX_GROUP_LINES = 10
COMMON_SHARE = 0.5  # a label value covering more than half of the members is named as the common factor


class StormRule(BaseModel):
    """More than `threshold` new incidents in one channel within `window_s` start a digest."""

    threshold: int = Field(8, ge=1)
    window_s: float = Field(60.0, gt=0)


class Member(BaseModel):
    key: str
    alertname: str
    labels: dict[str, str] = Field(default_factory=dict)
    status: Literal["firing", "resolved"] = "firing"
    started: datetime
    severity: Severity = Severity.warning
    folded: bool = Field(True, description="its own card was not posted (it joined after the threshold)")


class Digest(BaseModel):
    key: str
    channel: str
    started_at: datetime
    members: dict[str, Member] = Field(default_factory=dict)
    folded_by_budget: int = Field(0, description="members folded because the channel's post budget was spent")
    wrapped_up: bool = False

    @property
    def open(self) -> int:
        return sum(1 for m in self.members.values() if m.status == "firing")

    @property
    def resolved(self) -> int:
        return len(self.members) - self.open

    @property
    def ended(self) -> bool:
        return bool(self.members) and self.open == 0


def where(member: Member) -> str:
    return " ".join(f"{k}={member.labels[k]}" for k in SHARED_LABELS if member.labels.get(k))


def by_alertname(members: list[Member]) -> list[tuple[str, int]]:
    return Counter(m.alertname for m in members).most_common()


def shared_labels(members: list[Member]) -> list[tuple[str, str, int]]:
    """(label, value, how many members carry it), most shared first, for values more than one member has."""
    counts = Counter((k, m.labels[k]) for m in members for k in SHARED_LABELS if m.labels.get(k))
    return [(k, v, n) for (k, v), n in counts.most_common() if n > 1]


def common_factor(members: list[Member]) -> str | None:
    """The label value most members share, when it covers more than half of them, and which alert of
    those fired first: "41 of 50 share node=worker-3; NodeNotReady fired first"."""
    shared = shared_labels(members)
    if not shared or shared[0][2] <= len(members) * COMMON_SHARE:
        return None
    label, value, count = shared[0]
    carriers = [m for m in members if m.labels.get(label) == value]
    first = min(carriers, key=lambda m: m.started)
    return f"{count} of {len(members)} share {label}={value}; {first.alertname} fired first"


def digest_card(digest: Digest) -> Card:
    members = sorted(digest.members.values(), key=lambda m: m.started)
    ended = digest.ended
    factor = common_factor(members)
    groups = by_alertname(members)
    lines = [f"• {name}: {count}" for name, count in groups[:MAX_GROUP_LINES]]
    if len(groups) > MAX_GROUP_LINES:
        lines.append(f"… and {len(groups) - MAX_GROUP_LINES} more alert names")
    shared = [f"{k}={v} ({n})" for k, v, n in shared_labels(members)[:6]]
    member_lines = [f"{'✅' if m.status == 'resolved' else '🔥'} {m.alertname} {where(m)}".rstrip()
                    for m in members[:MAX_MEMBER_LINES]]
    if len(members) > MAX_MEMBER_LINES:
        member_lines.append(f"… and {len(members) - MAX_MEMBER_LINES} more")
    fields = [CardField(name="incidents", value=str(len(members))),
              CardField(name="open", value=str(digest.open)),
              CardField(name="resolved", value=str(digest.resolved)),
              CardField(name="started", value=digest.started_at.strftime("%Y-%m-%d %H:%M:%S UTC"))]
    if shared:
        fields.append(CardField(name="shared labels", value=", ".join(shared), short=False))
    footer = ["storm digest: new incidents in this channel fold into this card"]
    if digest.folded_by_budget:
        footer.append(f"post budget reached: {digest.folded_by_budget} cards folded into this digest")
    severity = max((m.severity for m in members), key=lambda s: s.rank, default=Severity.warning)
    return Card(
        kind=CardKind.triage, status=CardStatus.resolved if ended else CardStatus.firing,
        title=f"Alert storm: {len(members)} incidents in #{digest.channel}", severity=severity,
        summary=factor or "", fields=fields,
        text="\n".join([*([f"Probable common factor: {factor}"] if factor else []), "By alert:", *lines,
                        "Members:", *member_lines]),
        footer=" · ".join(footer),
    )


def wrapup_text(digest: Digest, now: datetime) -> str:
    """The digest's one wrap-up, instead of one per member."""
    members = list(digest.members.values())
    factor = common_factor(members)
    parts = [f"✅ Storm over after {format_duration((now - digest.started_at).total_seconds())}: "
             f"{len(members)} incidents, all resolved."]
    if factor:
        parts.append(f"Common factor: {factor}.")
    groups = by_alertname(members)[:MAX_GROUP_LINES]
    parts.append("By alert: " + ", ".join(f"{name} ×{count}" for name, count in groups))
    return "\n".join(parts)


class StormSettings(BaseModel):
    enabled: bool = Field(True, description="fold storms of new incidents into one digest card per channel")
    threshold: int = Field(8, ge=1, description="more than this many new incidents in one channel within "
                                                "window_s start a digest (a route's `storm` overrides)")
    window_s: float = Field(60.0, gt=0)
    llm_settle_s: float = Field(5.0, ge=0, description="an incident that came in a burst (another new incident "
                                                       "in its channel this close) has its LLM call this long after "
                                                       "its arrival, so a storm that begins meanwhile makes no call "
                                                       "per member; 0 = no wait")
    correlation_window_s: float = Field(300.0, gt=0, description="incidents sharing node/namespace/instance "
                                                                 "and starting this close get a related line")

    def rule(self, override: StormRule | None = None) -> StormRule:
        return override or StormRule(threshold=self.threshold, window_s=self.window_s)
