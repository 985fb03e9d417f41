"""Slack: Block Kit rendering of cards and a chat channel on the Web API (slack_sdk).

Block Kit limits honoured: 50 blocks per message, 3000 characters per section text, 10 fields per
section (2000 characters each), 150 characters in a header; longer content is trimmed with "…".
"""

from __future__ import annotations

import urllib.error
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from core.cards import Card, headline
from integrations.card_text import (
    HYPOTHESIS_HEADING,
    SLACK,
    citations_text,
    evidence_text,
    findings_text,
    hypothesis_text,
    links_text,
    steps_text,
    title_line,
    trim,
    unavailable_text,
)
from integrations.chat import ChatError, PostRef, ThreadMessage

MAX_BLOCKS = 50
MAX_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER = 150
BUTTON_STYLES = {"primary", "danger"}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": trim(text, MAX_TEXT)}}


def _paragraph(text: str) -> str:
    """A paragraph cut to one section; a cut code block is closed again so the rest still renders."""
    cut = trim(text, MAX_TEXT - 4)
    return cut + "\n```" if cut != text and cut.count("```") % 2 else cut


def _sections(text: str) -> list[dict[str, Any]]:
    """Long card text as several sections, split between paragraphs (a section holds 3,000
    characters): a /logs card's query stays whole after its hits."""
    chunks: list[str] = []
    for paragraph in text.split("\n\n"):
        paragraph = _paragraph(paragraph)
        if chunks and len(chunks[-1]) + 2 + len(paragraph) <= MAX_TEXT:
            chunks[-1] += "\n\n" + paragraph
        else:
            chunks.append(paragraph)
    return [_section(chunk) for chunk in chunks if chunk.strip()]


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": trim(text, MAX_TEXT)}]}


def render_slack(card: Card) -> tuple[str, list[dict[str, Any]]]:
    """Fallback text (notifications, screen readers) and the Block Kit blocks of a card."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": trim(title_line(card), MAX_HEADER), "emoji": True}}
    ]
    if card.text or card.summary:
        blocks += _sections(card.text or card.summary)
    fields = [{"type": "mrkdwn", "text": trim(f"*{f.name}*\n{f.value}", MAX_FIELD_TEXT)} for f in card.fields]
    for start in range(0, len(fields), MAX_FIELDS):
        blocks.append({"type": "section", "fields": fields[start:start + MAX_FIELDS]})
    for heading, body in (("Findings", findings_text(card, SLACK)),
                          (HYPOTHESIS_HEADING, hypothesis_text(card, SLACK)), ("Evidence", evidence_text(card)),
                          ("Next steps", steps_text(card)), ("Sources", citations_text(card, SLACK))):
        if body:
            blocks.append(_section(f"*{heading}*\n{body}"))
    if card.links:
        blocks.append(_section(links_text(card, SLACK)))
    if card.buttons:
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "action_id": b.action, "value": b.value,
             "text": {"type": "plain_text", "text": trim(b.label, 75)},
             **({"style": b.style} if b.style in BUTTON_STYLES else {})}
            for b in card.buttons[:25]
        ]})
    context = "\n".join(t for t in (unavailable_text(card), card.footer) if t)
    if context:
        blocks.append(_context(context))
    if len(blocks) > MAX_BLOCKS:
        blocks = [*blocks[: MAX_BLOCKS - 1], _context(f"{ELLIPSIS_NOTE} ({len(blocks) - MAX_BLOCKS + 1} blocks)")]
    return trim(headline(card), MAX_TEXT), blocks


ELLIPSIS_NOTE = "… more in the full card"


class SlackChannel:
    """Post, update and reply through the Slack Web API. Retries are the Celery task's job, so
    slack_sdk's own retry handlers are switched off (no sleeping inside a worker)."""

    platform = "slack"

    def __init__(self, token: str, base_url: str = "https://slack.com/api/", timeout: float = 10.0) -> None:
        self.client = WebClient(token=token, base_url=base_url, timeout=int(timeout), retry_handlers=[])

    def post(self, channel: str, card: Card, thread_id: str | None = None) -> PostRef:
        text, blocks = render_slack(card)
        threaded = {"thread_ts": thread_id} if thread_id else {}
        response = self._call(self.client.chat_postMessage, channel=channel, text=text, blocks=blocks, **threaded)
        return PostRef(platform=self.platform, channel=str(response["channel"]), post_id=str(response["ts"]),
                       thread_id=thread_id)

    def update(self, ref: PostRef, card: Card) -> None:
        text, blocks = render_slack(card)
        self._call(self.client.chat_update, channel=ref.channel, ts=ref.post_id, text=text, blocks=blocks)

    def reply(self, ref: PostRef, text: str) -> PostRef:
        response = self._call(self.client.chat_postMessage, channel=ref.channel, text=text, thread_ts=ref.post_id)
        return PostRef(platform=self.platform, channel=ref.channel, post_id=str(response["ts"]),
                       thread_id=ref.post_id)

    def thread(self, ref: PostRef) -> list[ThreadMessage]:
        response = self._call(self.client.conversations_replies, channel=ref.channel, ts=ref.post_id, limit=200)
        return [ThreadMessage(user=str(m.get("user", "")), text=str(m.get("text", "")))
                for m in response.get("messages", [])
                if m.get("ts") != ref.post_id and not m.get("bot_id") and m.get("subtype") != "bot_message"]

    def thread_root(self, channel: str, message_id: str) -> str:
        return message_id  # Slack events carry thread_ts, which is the root already

    @staticmethod
    def _call(method: Any, **kwargs: Any) -> Any:
        try:
            return method(**kwargs)
        except SlackApiError as exc:
            status = exc.response.status_code
            error = exc.response.get("error", "unknown_error") if isinstance(exc.response.data, dict) else str(exc)
            if status == 429 or error == "ratelimited":
                retry_after = float(exc.response.headers.get("Retry-After", exc.response.headers.get("retry-after", 1)))
                raise ChatError(f"slack rate limited: {error}", retryable=True, retry_after=retry_after,
                                status=429) from None
            raise ChatError(f"slack API error: {error} (HTTP {status})", retryable=status >= 500,
                            status=status) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            raise ChatError(f"slack unreachable: {exc}", retryable=True) from None
