"""The alert task's decision points for storms, budgets, correlation and "seen before".

`decide` runs in process_alert_group under the incident's lock, after its card was rebuilt:
- a new incident in a channel that has a storm going, or that makes more than the rule's threshold
  of new incidents within its window, or that finds the channel's post budget spent, is folded into
  the channel's digest: its card is not posted there (the digest lists it) and it gets no evidence
  run and no LLM call of its own; the digest starts with the incidents of the window that already
  have cards, so the one digest covers the whole storm;
- a member's resolve updates the digest; the last one gives the digest its one wrap-up, and members
  get none of their own;
- the card gets its "seen before" line (the last occurrence, from the bounded history) and its
  "related" line (incidents sharing node/namespace/instance that started close by).
The digest is an incident of its own (receiver "storm"), so deliver_card posts it and updates it
in place like any card, within the same task run that would have posted the first card.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, cast

from pydantic import BaseModel, Field

from bot.incident_wrapup import read_thread
from bot.incidents import IncidentMeta
from core.models import Severity
from handlers import seen_before
from handlers.budgets import Budgets
from handlers.correlation import Correlator, related_field
from handlers.storm import Digest, Member, digest_card, where, wrapup_text

if TYPE_CHECKING:
    from bot.incidents import Change
    from bot.runtime import Runtime
    from handlers.llm.gate import GateVerdict

log = logging.getLogger("opsbot.storms")
PREFIX = "opsbot:storm:"
STORM_RECEIVER = "storm"
SKIPPED_RECEIVERS = ("command", STORM_RECEIVER)
DIGEST_TTL_S = 7 * 86400
STORM_LLM_LINE = "LLM not asked: this incident is part of a storm (see its digest); a storm gets no call per member"


class Membership(BaseModel):
    """Which digest an incident belongs to, and the channels its own card was kept out of."""

    digest: str
    folded: list[str] = Field(default_factory=list)


@dataclass
class Plan:
    digests: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    in_storm: bool = False

    def enrich(self, meta: IncidentMeta) -> bool:
        """Evidence and the LLM only for a card some channel shows."""
        return bool(meta.channels)


def _budgets(rt: Runtime) -> Budgets:
    return Budgets(rt.redis)


def channel_names(channels: list[str]) -> list[str]:
    return list(dict.fromkeys(c.partition(":")[2] for c in channels))


def member_of(meta: IncidentMeta, *, folded: bool) -> Member:
    alertname = meta.labels.get("alertname") or (meta.base_card.field("alert") if meta.base_card else "") or "alert"
    labels = dict(meta.labels)
    if meta.alerts:
        first = next(iter(meta.alerts.values()))
        for part in first.where.split():
            key, _, value = part.partition("=")
            labels.setdefault(key, value)
    return Member(key=meta.key, alertname=alertname, labels=labels, status=meta.status, started=meta.first_seen,
                  severity=meta.base_card.severity if meta.base_card else Severity.warning, folded=folded)


def decide(rt: Runtime, meta: IncidentMeta, change: Change, now: float | None = None) -> Plan:
    """Storm, budget, seen-before and correlation for one notification (see the module doc)."""
    now = time.time() if now is None else now
    plan = Plan()
    if meta.receiver in SKIPPED_RECEIVERS:
        return plan
    raw = cast("bytes | None", rt.redis.get(f"{PREFIX}member:{meta.key}"))
    membership = Membership.model_validate_json(raw) if raw else None
    if change.new_incident and meta.status == "firing" and rt.settings.storm.enabled:
        membership = _admit(rt, meta, now, plan) or membership
    elif membership is not None:
        _member_changed(rt, meta, membership, now, plan)
    plan.in_storm = _still_member(rt, meta.key)
    _decorate(rt, meta, now)
    if change.new_incident and meta.channels:
        started = meta.first_seen.timestamp()
        corr = Correlator(rt.redis, rt.settings.storm.correlation_window_s)
        plan.related = corr.link(meta.key, member_of(meta, folded=False).labels, started)
        if plan.related:
            _decorate(rt, meta, now)
    if change.status_changed and meta.status == "resolved" and plan.in_storm:
        remember(rt, meta, thread=[])  # members get no wrap-up; their history is kept all the same
    return plan


def _still_member(rt: Runtime, incident_key: str) -> bool:
    return bool(rt.redis.exists(f"{PREFIX}member:{incident_key}"))


def _admit(rt: Runtime, meta: IncidentMeta, now: float, plan: Plan) -> Membership | None:
    budgets = _budgets(rt)
    folded: list[str] = []
    digest_key = ""
    for name in channel_names(meta.channels):
        rule = rt.settings.storm.rule(rt.settings.routing.storm_rule(name))
        arrived = budgets.arrivals(name, now, rule.window_s, meta.key)
        active_key = f"{PREFIX}active:{name}"
        active = cast("bytes | None", rt.redis.get(active_key))
        over_budget = budgets.posts_last_minute(name, now) >= rt.settings.budgets.posts_per_minute
        if active is None and arrived <= rule.threshold and not over_budget:
            continue
        by_budget = over_budget and arrived <= rule.threshold  # not a storm by count: the budget held it back
        if active is None:  # SET NX: of two incidents crossing the threshold together, one starts the digest
            candidate = f"storm-{uuid.uuid4().hex[:16]}"
            started = bool(rt.redis.set(active_key, candidate, nx=True, ex=int(rule.window_s) + 1))
            active = candidate.encode() if started else cast("bytes | None", rt.redis.get(active_key))
        digest_key = _join(rt, meta, name, (active or b"").decode() or f"storm-{uuid.uuid4().hex[:16]}", now,
                           rule.window_s, by_budget)
        rt.redis.set(active_key, digest_key, ex=int(rule.window_s) + 1)  # a storm lasts while incidents arrive
        folded += [c for c in meta.channels if c.partition(":")[2] == name]
        plan.digests.append(digest_key)
        rt.metrics.inc("opsbot_storm_digests", ["folded"])
        if by_budget:
            rt.metrics.inc("opsbot_budget_held", ["post"])
    if not folded:
        return None
    meta.channels = [c for c in meta.channels if c not in folded]
    membership = Membership(digest=digest_key, folded=folded)
    rt.redis.set(f"{PREFIX}member:{meta.key}", membership.model_dump_json(), ex=DIGEST_TTL_S)
    return membership


def load_digest(rt: Runtime, digest_key: str) -> Digest | None:
    raw = cast("bytes | None", rt.redis.get(f"{PREFIX}digest:{digest_key}"))
    return Digest.model_validate_json(raw) if raw else None


def _save_digest(rt: Runtime, digest: Digest, meta: IncidentMeta | None, now: float,
                 received_at: float | None = None) -> None:
    """The digest's record and its card (an incident of its own, so delivery treats it like any card)."""
    rt.redis.set(f"{PREFIX}digest:{digest.key}", digest.model_dump_json(), ex=DIGEST_TTL_S)
    card = digest_card(digest)
    if meta is None:
        meta = IncidentMeta(key=digest.key, receiver=STORM_RECEIVER, group_key=f"storm:{digest.channel}",
                            status="firing", first_received_at=received_at or now, first_seen=digest.started_at,
                            channels=[f"{platform}:{digest.channel}" for platform in rt.channels])
    if digest.ended and not meta.wrapped_up:
        meta.notes.append(wrapup_text(digest, datetime.fromtimestamp(now, UTC)))
        meta.wrapped_up = True
        rt.metrics.inc("opsbot_storm_digests", ["wrapped_up"])
    meta.status = "resolved" if digest.ended else "firing"
    meta.base_card = card
    meta.version += 1
    rt.store.save(meta)


def _join(rt: Runtime, meta: IncidentMeta, name: str, digest_key: str, now: float, window_s: float,
          by_budget: bool) -> str:
    with rt.store.lock(digest_key):
        digest = load_digest(rt, digest_key)
        if digest is None:  # a new storm: the window's incidents that already have cards are members too
            digest = Digest(key=digest_key, channel=name, started_at=datetime.fromtimestamp(now, UTC))
            _add_window(rt, digest, name, now, window_s, meta.key)
            rt.metrics.inc("opsbot_storm_digests", ["started"])
        else:
            rt.metrics.inc("opsbot_storm_digests", ["joined"])
        digest.members[meta.key] = member_of(meta, folded=True)
        digest.folded_by_budget += int(by_budget)
        # the trigger's receipt: the digest's webhook-to-first-card is the one its first card would have had
        _save_digest(rt, digest, rt.store.load(digest_key), now, meta.first_received_at)
    return digest_key


def _add_window(rt: Runtime, digest: Digest, name: str, now: float, window_s: float, newcomer: str) -> None:
    raw = cast("list[bytes]", rt.redis.zrangebyscore(f"opsbot:budget:arrivals:{name}", now - window_s, now))
    for key in (r.decode() for r in raw):
        if key == newcomer:
            continue
        other = rt.store.load(key)  # one counted but not saved yet joins by itself (join_late)
        if other is not None and other.receiver not in SKIPPED_RECEIVERS:
            _enlist(rt, digest, other)


def _enlist(rt: Runtime, digest: Digest, meta: IncidentMeta) -> None:
    """A member whose own card was posted before the storm began."""
    digest.members[meta.key] = member_of(meta, folded=False)
    rt.redis.set(f"{PREFIX}member:{meta.key}", Membership(digest=digest.key).model_dump_json(), ex=DIGEST_TTL_S)


def join_late(rt: Runtime, meta: IncidentMeta, change: Change, plan: Plan) -> None:
    """After a new incident with its own card is saved: if a storm began in one of its channels
    between its arrival being counted and now, the digest gathering the window may have looked for
    it before it was saved; it joins that digest now. Saved first, looked second, on both sides
    (the digest sets the channel's active key before it loads the window's incidents), so every
    incident of the window is in the digest exactly once, with no waiting."""
    if not (change.new_incident and meta.status == "firing" and meta.channels and rt.settings.storm.enabled) \
            or plan.in_storm or meta.receiver in SKIPPED_RECEIVERS:
        return
    for name in channel_names(meta.channels):
        active = cast("bytes | None", rt.redis.get(f"{PREFIX}active:{name}"))
        if active is None:
            continue
        digest_key = active.decode()
        with rt.store.lock(digest_key):
            digest = load_digest(rt, digest_key)
            if digest is None or meta.key in digest.members or digest.wrapped_up:
                continue  # not gathered yet (the digest will find this incident saved), or over
            _enlist(rt, digest, meta)
            _save_digest(rt, digest, rt.store.load(digest_key), time.time())
        plan.digests.append(digest_key)
        plan.in_storm = True
        rt.metrics.inc("opsbot_storm_digests", ["joined"])


def _member_changed(rt: Runtime, meta: IncidentMeta, membership: Membership, now: float, plan: Plan) -> None:
    with rt.store.lock(membership.digest):
        digest = load_digest(rt, membership.digest)
        if digest is None:
            return
        if digest.wrapped_up and meta.status == "firing":  # the storm is over: a re-fire gets its own card
            meta.channels = list(dict.fromkeys([*meta.channels, *membership.folded]))
            rt.redis.delete(f"{PREFIX}member:{meta.key}")
            return
        old = digest.members.get(meta.key)
        digest.members[meta.key] = member_of(meta, folded=old.folded if old else True)
        _save_digest(rt, digest, rt.store.load(digest.key), now)
    plan.digests.append(digest.key)


def _decorate(rt: Runtime, meta: IncidentMeta, now: float) -> None:
    """The card's "seen before" and "related" lines (replacing earlier ones: the card is rebuilt often)."""
    card = meta.base_card
    if card is None:
        return
    fields = [f for f in card.fields if f.name not in (seen_before.FIELD, "related")]
    if meta.status == "firing":
        fields += seen_before.seen_field(_previous(rt, meta, now))
    fields += related_field(_related_lines(rt, meta.key))
    meta.base_card = card.model_copy(update={"fields": fields})


def _previous(rt: Runtime, meta: IncidentMeta, now: float) -> seen_before.HistoryEntry | None:
    member = member_of(meta, folded=False)
    firing = [a.startsAt for a in meta.alerts.values() if a.status == "firing"] or [meta.first_seen]
    entries = seen_before.History(rt.redis).entries(seen_before.identity(member.alertname, member.labels))
    return seen_before.previous(entries, min(firing), datetime.fromtimestamp(now, UTC))


def _related_lines(rt: Runtime, incident_key: str) -> list[str]:
    lines = []
    for other_key in Correlator(rt.redis).related(incident_key):
        other = rt.store.load(other_key)
        if other is None:
            continue
        member = member_of(other, folded=False)
        shown = ", ".join(channel_names(other.channels)) or "the storm digest"
        lines.append(f"{member.alertname} {where(member)} (card in #{shown})".replace("  ", " "))
    return lines


def relink(rt: Runtime, incident_key: str) -> bool:
    """Give an older incident's card the related line a newer one created; True when it changed."""
    with rt.store.lock(incident_key):
        meta = rt.store.load(incident_key)
        if meta is None or meta.base_card is None:
            return False
        before = meta.base_card
        _decorate(rt, meta, time.time())
        if meta.base_card == before:
            return False
        meta.version += 1
        rt.store.save(meta)
    return True


def remember(rt: Runtime, meta: IncidentMeta, thread: list[str]) -> None:
    """Keep a resolved occurrence in the seen-before history (what a later one will show)."""
    if meta.status != "resolved" or not meta.alerts or meta.receiver in SKIPPED_RECEIVERS:
        return
    member = member_of(meta, folded=False)
    started = min(a.startsAt for a in meta.alerts.values())
    resolved = max((a.endsAt or a.startsAt) for a in meta.alerts.values())
    link, shown = "", ""
    for channel in meta.channels:
        ref = rt.store.post_ref(meta.key, channel)
        if ref is not None:
            link, shown = permalink(rt, ref.platform, ref.channel, ref.post_id), channel
            break
    entry = seen_before.HistoryEntry(incident_key=meta.key, alertname=member.alertname, started=started,
                                     resolved=resolved, link=link, where=shown or "the storm digest",
                                     thread=seen_before.thread_lines(thread))
    seen_before.History(rt.redis).record(seen_before.identity(member.alertname, member.labels), entry)


def permalink(rt: Runtime, platform: str, channel: str, post_id: str) -> str:
    if platform == "slack":
        return f"https://slack.com/archives/{channel}/p{post_id.replace('.', '')}"
    mattermost = rt.settings.mattermost
    if platform == "mattermost" and mattermost.url and mattermost.team:
        return f"{mattermost.url}/{mattermost.team}/pl/{post_id}"
    return ""


def remember_wrapped_up(rt: Runtime, incident_key: str) -> None:
    """After a wrap-up: the occurrence goes into the history with the first lines of its thread."""
    meta = rt.store.load(incident_key)
    if meta is not None:
        remember(rt, meta, [m.text for m in read_thread(rt, meta)])


DIGEST_COALESCE_S = 1.0


class Deliverer(Protocol):
    def delay(self, digest_key: str) -> Any: ...

    def apply_async(self, args: tuple[str], countdown: float) -> Any: ...


def queue_digest(rt: Runtime, digest_key: str, deliver: Deliverer) -> None:
    """The first post at once (the storm's first signal); after it, one delivery queued per
    DIGEST_COALESCE_S however many members join or resolve meanwhile (chat platforms limit updates
    per channel: Slack about one a second). The delivery clears the mark before it reads the digest,
    so a change after that queues the next one and nothing is lost."""
    meta = rt.store.load(digest_key)
    posted = meta is not None and all(rt.store.post_ref(digest_key, c) is not None for c in meta.channels)
    if not posted:
        deliver.delay(digest_key)
    elif rt.redis.set(f"{PREFIX}pending:{digest_key}", "1", nx=True, ex=60):
        deliver.apply_async((digest_key,), countdown=DIGEST_COALESCE_S)


def digest_delivering(rt: Runtime, digest_key: str) -> None:
    rt.redis.delete(f"{PREFIX}pending:{digest_key}")


def note_post(rt: Runtime, channel_key: str) -> None:
    """A card was posted: it counts against the channel's post budget."""
    _budgets(rt).note_post(channel_key.partition(":")[2], time.time())


def llm_settle(rt: Runtime, meta: IncidentMeta, now: float) -> float:
    """Seconds to wait before this incident's LLM call: none for one that came alone; for one that came
    in a burst, until `storm.llm_settle_s` after its arrival, by when a storm that the burst grows into
    has begun and made it a member (llm_budget then asks nothing). The first card never waits for this."""
    settle = rt.settings.storm.llm_settle_s
    remaining = meta.first_received_at + settle - now
    if not rt.settings.storm.enabled or settle <= 0 or remaining <= 0:
        return 0.0
    budgets = _budgets(rt)
    start = meta.first_received_at - settle
    in_burst = any(budgets.arrived_between(name, start, now) > 1 for name in channel_names(meta.channels))
    return remaining if in_burst else 0.0


def llm_budget(rt: Runtime, meta: IncidentMeta, gate: GateVerdict) -> GateVerdict:
    """Before the LLM call: none for a storm's member (its explanation was still queued when the storm
    began); else take one explanation from the channel's and the overall hourly budget. Either way a
    card held back gets one footer line instead of a call."""
    if not gate.show:
        return gate
    if _still_member(rt, meta.key):  # a card posted just before its storm began: the digest speaks for it now
        rt.metrics.inc("opsbot_budget_held", ["llm"])
        return gate.model_copy(update={"show": False, "line": STORM_LLM_LINE})
    name = (channel_names(meta.channels) or ["(none)"])[0]
    held = _budgets(rt).take_llm(name, time.time(), rt.settings.budgets)
    if held is None:
        return gate
    rt.metrics.inc("opsbot_budget_held", ["llm"])
    return gate.model_copy(update={"show": False, "line": held})
