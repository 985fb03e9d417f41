"""What every chat channel (Slack, Mattermost, console) offers the delivery task.

Calls are synchronous: they run inside Celery workers. Errors are mapped to `ChatError`, which
says whether a retry can help and how long the platform asked us to wait (HTTP 429 Retry-After).
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel

from core.cards import Card
from integrations.redaction import redact


class PostRef(BaseModel):
    """Where a card was posted, so any worker can update it or reply in its thread later."""

    platform: str
    channel: str
    post_id: str
    thread_id: str | None = None


class ThreadMessage(BaseModel):
    """A message people wrote in a card's thread (the bot's own messages are left out)."""

    user: str
    text: str


class ChatError(Exception):
    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


class ChatChannel(Protocol):
    platform: str

    def post(self, channel: str, card: Card, thread_id: str | None = None) -> PostRef:
        """Post a new card to `channel` (a name or an id), in the thread of message `thread_id` when
        given; return where it landed."""
        ...

    def update(self, ref: PostRef, card: Card) -> None:
        """Replace the card at `ref` in place."""
        ...

    def reply(self, ref: PostRef, text: str) -> PostRef:
        """Post plain text in the thread of the card at `ref`."""
        ...

    def thread(self, ref: PostRef) -> list[ThreadMessage]:
        """What people wrote in the thread of the card at `ref`, oldest first."""
        ...

    def thread_root(self, channel: str, message_id: str) -> str:
        """The id of the message that starts the thread `message_id` is in (itself when it is not a reply)."""
        ...


def redact_card(card: Card) -> Card:
    """The card with every secret in its text replaced by the marker: alert annotations, pasted
    output and evidence can all carry tokens. Commands in next steps are left as written."""
    return card.model_copy(update={
        "title": redact(card.title),
        "summary": redact(card.summary),
        "text": redact(card.text),
        "evidence": redact(card.evidence),
        "fields": [f.model_copy(update={"value": redact(f.value)}) for f in card.fields],
        "findings": [f.model_copy(update={"title": redact(f.title), "explanation": redact(f.explanation)})
                     for f in card.findings],
        "hypothesis": card.hypothesis.model_copy(update={"cause": redact(card.hypothesis.cause)})
        if card.hypothesis else None,
        "footer": redact(card.footer),
    })


class RedactingChannel:
    """Wraps a channel so that nothing reaches the chat (or the console's cards file) unredacted."""

    def __init__(self, inner: ChatChannel) -> None:
        self.inner = inner
        self.platform = inner.platform

    def post(self, channel: str, card: Card, thread_id: str | None = None) -> PostRef:
        return self.inner.post(channel, redact_card(card), thread_id)

    def update(self, ref: PostRef, card: Card) -> None:
        self.inner.update(ref, redact_card(card))

    def reply(self, ref: PostRef, text: str) -> PostRef:
        return self.inner.reply(ref, redact(text))

    def thread(self, ref: PostRef) -> list[ThreadMessage]:
        return self.inner.thread(ref)

    def thread_root(self, channel: str, message_id: str) -> str:
        return self.inner.thread_root(channel, message_id)
