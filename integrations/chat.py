"""What every chat channel (Slack, Mattermost, console) offers the delivery task.

Calls are synchronous: they run inside Celery workers. Errors are mapped to `ChatError`, which
says whether a retry can help and how long the platform asked us to wait (HTTP 429 Retry-After).
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

from core.cards import Card
from integrations.redaction import redact, redact_url


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


# Machine fields passed back verbatim or matched by code (a button's action and value, a finding's
# code): no text a secret reaches, and changing them would break the card.
_VERBATIM_FIELDS = frozenset({("Button", "action"), ("Button", "value"), ("Button", "style"), ("Finding", "code")})
_URL_FIELDS = frozenset({"url"})


def _redact_value(owner: str, name: str, value: Any) -> Any:
    if isinstance(value, Enum) or (owner, name) in _VERBATIM_FIELDS:
        return value
    if isinstance(value, str):
        return redact_url(value) if name in _URL_FIELDS else redact(value)
    if isinstance(value, BaseModel):
        return redact_model(value)
    if isinstance(value, list):
        return [_redact_value(owner, name, item) for item in value]
    if isinstance(value, dict):
        return {key: _redact_value(owner, str(key), item) for key, item in value.items()}
    return value


ModelT = TypeVar("ModelT", bound=BaseModel)


def redact_model(model: ModelT) -> ModelT:
    """A copy of `model` with every string field redacted, however deep: links decoded, checked and
    encoded again (`redact_url`), everything else as text; machine fields (enums, a button's action and
    value, codes) are left as they are."""
    owner = type(model).__name__
    return model.model_copy(update={name: _redact_value(owner, name, getattr(model, name))
                                    for name in type(model).model_fields})


def redact_card(card: Card) -> Card:
    """The card with every secret in every string field replaced by the marker: title, summary, text,
    fields, findings (and their steps and docs), the hypothesis (cause, references, citations), the
    evidence, next steps (commands and why), citations, links (percent-decoded before they are
    checked: a label in the silence link, a token in `runbook_url`), images, button labels, unavailable
    reasons and the footer. Alert annotations, labels, pasted output, evidence and the LLM's answer can
    all carry tokens."""
    return redact_model(card)


class RedactingChannel:
    """Wraps a channel so that nothing reaches the chat (or the console's cards file) unredacted."""

    def __init__(self, inner: ChatChannel) -> None:
        self.inner = inner
        self.platform = inner.platform
        # Slack and Mattermost attach graphs as files in the card's thread (`attach`); the web channel
        # shows them inline and the console writes them to files, from the card itself.
        self.attaches = callable(getattr(inner, "attach", None))

    def attach(self, ref: PostRef, title: str, png: bytes) -> None:
        """A PNG (a graph the card carries) as a file in the card's thread, where the platform takes files."""
        attach = getattr(self.inner, "attach", None)
        if callable(attach):
            attach(ref, redact(title), png)

    def post(self, channel: str, card: Card, thread_id: str | None = None) -> PostRef:
        return self.inner.post(channel, redact_card(card), thread_id)

    def update(self, ref: PostRef, card: Card) -> None:
        self.inner.update(ref, redact_card(card))

    def reply(self, ref: PostRef, text: str) -> PostRef:
        """Thread notes and the resolve wrap-up: redacted like a card's text."""
        return self.inner.reply(ref, redact(text))

    def thread(self, ref: PostRef) -> list[ThreadMessage]:
        return self.inner.thread(ref)

    def thread_root(self, channel: str, message_id: str) -> str:
        return self.inner.thread_root(channel, message_id)
