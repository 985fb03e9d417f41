"""Feedback on cards: 👍 / 👎 (and "wrong cause" on triage cards), stored, shown, counted and used.

- Every triage, diagnosis and answer card carries the buttons (`with_feedback`); the tally shows in
  its footer ("2 found this helpful").
- A verdict is kept in Redis (one vote per person per card: the first one counts) and appended to a
  JSON Lines file in the data directory, so nothing is lost across a Redis flush (`FeedbackStore`).
- It changes later answers: a 👎 demotes the (alert name -> cited document section) pairs the card
  showed, a 👍 promotes them, for later incidents of that alert only (`rerank`, applied after the
  knowledge base's ranking).
- `opsbot feedback export` writes the verdicts as evaluation cases (`evaluation_case`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol, TypeVar, cast

import redis
from pydantic import BaseModel, Field

from core.cards import FEEDBACK_BUTTONS, FEEDBACK_DOWN, FEEDBACK_UP, FEEDBACK_WRONG, Button, Card, CardKind
from integrations.redaction import redact

PREFIX = "opsbot:feedback:"
FEEDBACK_KINDS = (CardKind.triage, CardKind.diagnosis, CardKind.answer)
Vote = Literal["up", "down", "wrong_cause"]
VOTES: dict[str, Vote] = {FEEDBACK_UP: "up", FEEDBACK_DOWN: "down", FEEDBACK_WRONG: "wrong_cause"}
# How far one net vote moves a section, in ranks: one or two 👎 never reorder (one person's bad day), three
# net move it one place down, ten four places; capped, so votes can bury a section but not erase it.
RANK_STEP = 0.4
RANK_CAP = 5.0
EXTRA_CANDIDATES = 3  # retrieved beyond k so that a demoted section can be replaced
JSONL_FILE = "feedback.jsonl"
REASON_MAX = 1000  # characters of a person's text kept with a verdict


class Verdict(BaseModel):
    card_key: str
    vote: Vote
    platform: str
    channel: str
    user: str
    user_id: str = ""
    text: str = Field("", description="what the person wrote (\"wrong cause\" with a reason)")
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    alertname: str = ""
    card_kind: str = ""
    card_title: str = ""
    card_said: str = Field("", description="the card's findings, hypothesis and summary, as shown")
    cited: list[str] = Field(default_factory=list, description="`source#section` of every citation on the card")

    @property
    def voter(self) -> str:
        return f"{self.platform}:{self.user_id or self.user}"


def section_key(source: str, section: str) -> str:
    return f"{source}#{section}"


def card_said(card: Card) -> str:
    lines = [card.summary] if card.summary else []
    lines += [f"finding {f.code}: {f.title}" for f in card.findings]
    if card.hypothesis is not None:
        lines.append(f"hypothesis ({card.hypothesis.confidence}): {card.hypothesis.cause}")
    return "\n".join(lines)


def verdict_for(card: Card, vote: Vote, *, card_key: str, platform: str, channel: str, user: str,
                user_id: str = "", text: str = "", now: datetime | None = None) -> Verdict:
    # kept in Redis, the JSON Lines file and the exported cases: no secret a person pasted, or the card held
    return Verdict(card_key=card_key, vote=vote, platform=platform, channel=channel, user=user, user_id=user_id,
                   text=redact(text[:REASON_MAX]), at=now or datetime.now(UTC), alertname=card.field("alert") or "",
                   card_kind=card.kind.value, card_title=redact(card.title), card_said=redact(card_said(card)),
                   cited=[section_key(c.source, c.section) for c in card.citations])


def tally_line(tally: dict[str, int]) -> str:
    parts = []
    if tally.get("up"):
        parts.append(f"{tally['up']} found this helpful")
    if tally.get("down"):
        parts.append(f"{tally['down']} did not")
    if tally.get("wrong_cause"):
        parts.append(f"{tally['wrong_cause']} said the cause is wrong")
    return ", ".join(parts)


def with_feedback(card: Card, card_key: str, tally: dict[str, int]) -> Card:
    """The card with its feedback buttons and tally; cards of other kinds, or still working, as they are."""
    if card.kind not in FEEDBACK_KINDS or card.status.value == "working":
        return card
    buttons = [b for b in card.buttons if b.action not in FEEDBACK_BUTTONS]
    buttons += [Button(action=FEEDBACK_UP, label="👍", value=card_key),
                Button(action=FEEDBACK_DOWN, label="👎", value=card_key)]
    if card.kind is CardKind.triage:
        buttons.append(Button(action=FEEDBACK_WRONG, label="Wrong cause", value=card_key))
    line = tally_line(tally)
    footer = " · ".join(p for p in (card.footer, line) if p)
    return card.model_copy(update={"buttons": buttons, "footer": footer})


class FeedbackStore:
    """Verdicts in Redis (votes per card, tallies, rank adjustments per alert) and in `feedback.jsonl`."""

    _file_lock = threading.Lock()

    def __init__(self, client: redis.Redis, data_dir: Path) -> None:
        self.redis = client
        self.path = data_dir / JSONL_FILE

    def record(self, verdict: Verdict) -> bool:
        """Count the verdict once per person and card; False when this person already voted on it."""
        if not self.redis.hsetnx(f"{PREFIX}votes:{verdict.card_key}", verdict.voter, verdict.vote):
            return False
        pipe = self.redis.pipeline()
        pipe.hincrby(f"{PREFIX}tally:{verdict.card_key}", verdict.vote, 1)
        delta = 1 if verdict.vote == "up" else -1
        for name in alert_names(verdict.alertname):  # a group's card ("A, B"): each alert's later cards
            for cited in verdict.cited:
                pipe.hincrby(f"{PREFIX}rank:{name}", cited, delta)
        pipe.execute()
        self._append(verdict)
        return True

    def add_text(self, verdict: Verdict) -> bool:
        """The reason for a vote this person already cast (Slack's modal, Mattermost's dialog, sent after the
        press): kept with that vote, not counted again; False when they voted otherwise or wrote the same."""
        if not verdict.text or self.redis.hget(f"{PREFIX}votes:{verdict.card_key}", verdict.voter) != \
                verdict.vote.encode():
            return False
        texts = f"{PREFIX}texts:{verdict.card_key}"
        if self.redis.hget(texts, verdict.voter) == verdict.text.encode():
            return False
        self.redis.hset(texts, verdict.voter, verdict.text)
        self._append(verdict)  # read_verdicts folds it into the first line of this vote
        return True

    def _append(self, verdict: Verdict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._file_lock, self.path.open("a", encoding="utf-8") as out:
            out.write(verdict.model_dump_json() + "\n")

    def tally(self, card_key: str) -> dict[str, int]:
        raw = cast("dict[bytes, bytes]", self.redis.hgetall(f"{PREFIX}tally:{card_key}"))
        return {k.decode(): int(v) for k, v in raw.items()}

    def adjustments(self, alertname: str) -> dict[str, int]:
        raw = cast("dict[bytes, bytes]", self.redis.hgetall(f"{PREFIX}rank:{alertname}"))
        return {k.decode(): int(v) for k, v in raw.items()}


def read_verdicts(data_dir: Path) -> list[Verdict]:
    path = data_dir / JSONL_FILE
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    lines = [Verdict.model_validate_json(line) for line in text.splitlines() if line.strip()]
    # One verdict per person and card, as counted: the first line stands; a later line of the same vote
    # (FeedbackStore.add_text) brings its latest reason.
    first: dict[tuple[str, str], Verdict] = {}
    for verdict in lines:
        kept = first.setdefault((verdict.card_key, verdict.voter), verdict)
        if kept is not verdict and verdict.vote == kept.vote and verdict.text:
            kept.text = verdict.text
    return list(first.values())


def evaluation_case(verdict: Verdict) -> dict[str, object]:
    """One verdict as an evaluation case: the alert, what the card said, the verdict, the person's text."""
    return {"id": f"{verdict.card_key}-{verdict.platform}-{verdict.user_id or verdict.user}",
            "alert": verdict.alertname, "card": {"kind": verdict.card_kind, "title": verdict.card_title,
                                                  "said": verdict.card_said, "cited": verdict.cited},
            "verdict": verdict.vote, "text": verdict.text, "at": verdict.at.isoformat()}


class Ranked(Protocol):
    @property
    def source(self) -> str: ...

    @property
    def section(self) -> str: ...


RankedT = TypeVar("RankedT", bound=Ranked)


def alert_names(card_alert: str) -> list[str]:
    """The alert names a card's `alert` field holds: one, or a group's sorted names joined by ", "."""
    return [name for name in (part.strip() for part in card_alert.split(",")) if name]


def rerank(results: Sequence[RankedT], adjustments: dict[str, int], k: int) -> list[RankedT]:
    """The retrieval order moved by the votes on (alert -> section) pairs: each net 👎 pushes a section
    RANK_STEP places down, each net 👍 up (capped); stable, so unvoted results keep their order."""
    if not adjustments:
        return list(results[:k])

    def position(item: tuple[int, RankedT]) -> float:
        net = adjustments.get(section_key(item[1].source, item[1].section), 0)
        return item[0] - max(-RANK_CAP, min(RANK_CAP, net * RANK_STEP))

    return [r for _, r in sorted(enumerate(results), key=position)][:k]


def rank_adjuster(settings: object) -> Callable[[str, list[RankedT], int], list[RankedT]]:
    """The post-ranking hook the knowledge enricher applies: reads the alert's votes from Redis (the
    settings' `redis_url`); without Redis, or when Redis fails, the ranking is left as it is."""
    url = getattr(settings, "redis_url", None)
    client = redis.Redis.from_url(url) if url else None

    def adjust(alertname: str, results: list[RankedT], k: int) -> list[RankedT]:
        if client is None or not alertname:
            return results[:k]
        try:
            raw = cast("dict[bytes, bytes]", client.hgetall(f"{PREFIX}rank:{alertname}"))
        except redis.RedisError:
            return results[:k]
        return rerank(results, {key.decode(): int(v) for key, v in raw.items()}, k)

    return adjust
