"""What every chat channel (Slack, Mattermost, console) offers the delivery task.

Calls are synchronous: they run inside Celery workers. Errors are mapped to `ChatError`, which
says whether a retry can help and how long the platform asked us to wait (HTTP 429 Retry-After).
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel

from bot.cards import Card


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

    def post(self, channel: str, card: Card) -> PostRef:
        """Post a new card to `channel` (a name or an id); return where it landed."""
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
