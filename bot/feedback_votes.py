"""Feedback votes for the worker: who may vote, recording the verdict, and the buttons on delivered cards.

A vote counts only when the platform says the clicker is a member of the channel the card was posted
in (Slack `conversations.members`, Mattermost `GET /channels/{id}/members/{user}`), and the press came
from that channel (and post); the request itself was already authenticated by the web process
(Slack's signature, Mattermost's HMAC on the button's context; a forged one is a 401 there).
One vote per person per card (handlers.feedback.FeedbackStore); a "wrong cause" reason typed into
Slack's modal or Mattermost's dialog (bot.feedback_reason) arrives as a second press with text and is
added to that vote. The card is then delivered again, so its tally ("2 found this helpful") is current.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.incidents import IncidentMeta
from bot.runtime import Runtime
from core.cards import Card
from core.events import Action
from handlers.feedback import VOTES, FeedbackStore, verdict_for, with_feedback
from integrations.chat import ChatChannel, ChatError

log = logging.getLogger("opsbot.feedback")


def store(rt: Runtime) -> FeedbackStore:
    return FeedbackStore(rt.redis, rt.settings.data_dir)


def decorate(rt: Runtime, meta: IncidentMeta, card: Card) -> Card:
    """At delivery: the card with its feedback buttons and current tally."""
    return with_feedback(card, meta.key, store(rt).tally(meta.key))


def _inner(chat: ChatChannel) -> Any:
    return getattr(chat, "inner", chat)


def _slack_member(chat: ChatChannel, channel: str, user_id: str) -> bool:
    client = _inner(chat).client
    cursor = ""
    for _ in range(50):  # 50 pages of 1,000 members: Slack's largest channels
        page = client.conversations_members(channel=channel, limit=1000, **({"cursor": cursor} if cursor else {}))
        if user_id in page.get("members", []):
            return True
        cursor = (page.get("response_metadata") or {}).get("next_cursor", "")
        if not cursor:
            return False
    return False


def _mattermost_member(chat: ChatChannel, channel: str, user_id: str) -> bool:
    import requests

    driver = _inner(chat).driver
    try:
        found = driver.channels.get_channel_member(channel, user_id)
    except requests.HTTPError as exc:
        if exc.response is not None and exc.response.status_code in (403, 404):
            return False
        raise
    except Exception as exc:  # mattermostdriver maps 403/404 to its own exceptions
        if type(exc).__name__ in ("ResourceNotFound", "NotEnoughPermissions"):
            return False
        raise
    return bool(found) and found.get("user_id") == user_id


# platform -> whether the user is a member of the channel (ids as the platform sends them).
MEMBER_CHECKS: dict[str, Callable[[ChatChannel, str, str], bool]] = {
    "slack": _slack_member,
    "mattermost": _mattermost_member,
}


def _posted_here(rt: Runtime, meta: IncidentMeta, action: Action) -> bool:
    """The press came from a channel (and post) where this card was posted."""
    for channel_key in meta.channels:
        ref = rt.store.post_ref(meta.key, channel_key)
        if ref is not None and ref.platform == action.platform and ref.channel == action.channel and (
                action.post_id is None or action.post_id == ref.post_id):
            return True
    return False


def is_member(rt: Runtime, action: Action) -> bool:
    check = MEMBER_CHECKS.get(action.platform)
    chat = rt.channels.get(action.platform)
    if check is None:  # the web channel authenticates its own users (issue 18); the console has one user
        return action.platform in ("web", "console")
    if chat is None or not action.user_id:
        return False
    try:
        return check(chat, action.channel, action.user_id)
    except (ChatError, Exception) as exc:  # a membership that cannot be checked is not assumed
        log.warning("could not check %s membership of %s: %s", action.platform, action.user_id, exc)
        return False


def vote(rt: Runtime, action: Action) -> str:
    """Record one vote; the outcome: counted, reason_added (the text for a vote already counted), repeated,
    not_member, unknown_card."""
    name = VOTES[action.action]
    meta = rt.store.load(action.value)
    card = meta.card if meta else None
    if meta is None or card is None or not _posted_here(rt, meta, action):
        outcome = "unknown_card"
    elif not is_member(rt, action):
        outcome = "not_member"
    else:
        verdict = verdict_for(card, name, card_key=meta.key, platform=action.platform, channel=action.channel,
                              user=action.user, user_id=action.user_id, text=action.text)
        votes = store(rt)  # a reason sent after the press (bot.feedback_reason) completes that vote
        outcome = "counted" if votes.record(verdict) else "reason_added" if votes.add_text(verdict) else "repeated"
    if outcome == "counted":  # a new version, so every channel shows the new tally
        with rt.store.lock(action.value):
            fresh = rt.store.load(action.value)
            if fresh is not None:
                fresh.version += 1
                rt.store.save(fresh)
    rt.metrics.inc("opsbot_feedback_votes", [action.platform, name, outcome])
    log.info("feedback %s on %s by %s: %s", name, action.value, action.user or action.user_id, outcome)
    return outcome
