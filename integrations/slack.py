"""Slack: Block Kit rendering of cards and a chat channel on the Web API (slack_sdk).

Block Kit limits honoured: 50 blocks per message, 3000 characters per section text, 10 fields per
section (2000 characters each), 150 characters in a header; longer content is trimmed with "…".
"""

from __future__ import annotations

import urllib.error
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from core.cards import Card
from integrations.card_text import (
    FIXES_HEADING,
    HYPOTHESIS_HEADING,
    SLACK,
    Markup,
    citations_text,
    evidence_text,
    findings_text,
    fixes_text,
    footer_text,
    headline_text,
    hypothesis_text,
    links_text,
    steps_text,
    title_line,
    trim,
)
from integrations.chat import ChatError, PostRef, ThreadMessage
from integrations.neutralise import NO_LINKS, LinkPolicy

MAX_BLOCKS = 50
MAX_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER = 150
BUTTON_STYLES = {"primary", "danger"}


def _mrkdwn(text: Markup, limit: int) -> dict[str, Any]:
    """A mrkdwn text object; `verbatim` so that Slack links, mentions or channel names nothing by
    itself: what is live is what the renderer wrote."""
    return {"type": "mrkdwn", "text": trim(text, limit), "verbatim": True}


def _section(text: Markup) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text, MAX_TEXT)}


def _paragraph(text: str) -> str:
    """A paragraph cut to one section; a cut code block is closed again so the rest still renders."""
    cut = trim(text, MAX_TEXT - 4)
    return cut + "\n```" if cut != text and cut.count("```") % 2 else cut


def _paragraphs(text: Markup) -> list[str]:
    """Paragraphs (split at blank lines), a code block with blank lines in it kept whole. Every
    fence in neutralised text is the renderer's own, so counting them is safe."""
    out: list[str] = []
    for paragraph in text.split("\n\n"):
        if out and out[-1].count("```") % 2:
            out[-1] += "\n\n" + paragraph
        else:
            out.append(paragraph)
    return out


def _sections(text: Markup) -> list[dict[str, Any]]:
    """Long card text as several sections, split between paragraphs (a section holds 3,000
    characters): a /logs card's query stays whole after its hits."""
    chunks: list[str] = []
    for paragraph in _paragraphs(text):
        paragraph = _paragraph(paragraph)
        if chunks and len(chunks[-1]) + 2 + len(paragraph) <= MAX_TEXT:
            chunks[-1] += "\n\n" + paragraph
        else:
            chunks.append(paragraph)
    return [_section(Markup(chunk)) for chunk in chunks if chunk.strip()]


def _context(text: Markup) -> dict[str, Any]:
    return {"type": "context", "elements": [_mrkdwn(text, MAX_TEXT)]}


def render_slack(card: Card, links: LinkPolicy = NO_LINKS) -> tuple[str, list[dict[str, Any]]]:
    """Fallback text (notifications, screen readers) and the Block Kit blocks of a card. Every value
    of the card is neutralised (`integrations.neutralise.SLACK`); only links `links` allows are
    clickable."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": trim(title_line(card, SLACK), MAX_HEADER),
                                    "emoji": True}}
    ]
    if card.text or card.summary:
        blocks += _sections(SLACK.text(card.text or card.summary, links))
    fields = [_mrkdwn(Markup(f"*{SLACK.inline(f.name, one_line=True)}*\n{SLACK.inline(f.value, links)}"),
                      MAX_FIELD_TEXT) for f in card.fields]
    for start in range(0, len(fields), MAX_FIELDS):
        blocks.append({"type": "section", "fields": fields[start:start + MAX_FIELDS]})
    for heading, body in (("Findings", findings_text(card, SLACK)),
                          (HYPOTHESIS_HEADING, hypothesis_text(card, SLACK)),
                          ("Evidence", evidence_text(card, SLACK, links)),
                          ("Next steps", steps_text(card, SLACK, links)),
                          (FIXES_HEADING, fixes_text(card, SLACK, links)),
                          ("Sources", citations_text(card, SLACK, links))):
        if body:
            blocks.append(_section(Markup(f"*{heading}*\n{body}")))
    if card.links:
        blocks.append(_section(links_text(card, SLACK, links)))
    if card.buttons:
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "action_id": b.action, "value": b.value,
             "text": {"type": "plain_text", "text": trim(SLACK.plain(b.label), 75)},
             **({"style": b.style} if b.style in BUTTON_STYLES else {})}
            for b in card.buttons[:25]
        ]})
    context = footer_text(card, SLACK.inline)
    if context:
        blocks.append(_context(context))
    if len(blocks) > MAX_BLOCKS:
        more = Markup(f"{ELLIPSIS_NOTE} ({len(blocks) - MAX_BLOCKS + 1} blocks)")
        blocks = [*blocks[: MAX_BLOCKS - 1], _context(more)]
    return trim(headline_text(card, SLACK), MAX_TEXT), blocks


ELLIPSIS_NOTE = "… more in the full card"
MAX_VIEW_TITLE = 24  # a modal's title, submit and close labels (https://api.slack.com/reference/surfaces/views)
MAX_METADATA = 3000


def text_input_modal(callback_id: str, title: str, label: str, metadata: str, *, field: str,
                     max_length: int, note: str = "") -> dict[str, Any]:
    """A modal with one optional multi-line text input (`views.open`); its value comes back in the
    `view_submission` at `view.state.values[field][field].value`, and `metadata` verbatim."""
    if len(metadata) > MAX_METADATA:
        raise ValueError(f"private_metadata is {len(metadata)} characters, Slack allows {MAX_METADATA}")
    blocks: list[dict[str, Any]] = [_context(Markup(SLACK.plain(note)))] if note else []
    blocks.append({"type": "input", "block_id": field, "optional": True,
                   "label": {"type": "plain_text", "text": trim(label, 2000)},
                   "element": {"type": "plain_text_input", "action_id": field, "multiline": True,
                               "max_length": max_length}})
    return {"type": "modal", "callback_id": callback_id, "private_metadata": metadata,
            "title": {"type": "plain_text", "text": trim(title, MAX_VIEW_TITLE)},
            "submit": {"type": "plain_text", "text": "Send"},
            "close": {"type": "plain_text", "text": "Skip"}, "blocks": blocks}


class SlackChannel:
    """Post, update and reply through the Slack Web API. Retries are the Celery task's job, so
    slack_sdk's own retry handlers are switched off (no sleeping inside a worker)."""

    platform = "slack"

    def __init__(self, token: str, base_url: str = "https://slack.com/api/", timeout: float = 10.0,
                 links: LinkPolicy = NO_LINKS) -> None:
        self.client = WebClient(token=token, base_url=base_url, timeout=int(timeout), retry_handlers=[])
        self.links = links  # the hosts whose links cards may make clickable (bot.config's allowlist)

    def post(self, channel: str, card: Card, thread_id: str | None = None) -> PostRef:
        text, blocks = render_slack(card, self.links)
        threaded = {"thread_ts": thread_id} if thread_id else {}
        response = self._call(self.client.chat_postMessage, channel=channel, text=text, blocks=blocks, **threaded)
        return PostRef(platform=self.platform, channel=str(response["channel"]), post_id=str(response["ts"]),
                       thread_id=thread_id)

    def update(self, ref: PostRef, card: Card) -> None:
        text, blocks = render_slack(card, self.links)
        self._call(self.client.chat_update, channel=ref.channel, ts=ref.post_id, text=text, blocks=blocks)

    def reply(self, ref: PostRef, text: str) -> PostRef:
        response = self._call(self.client.chat_postMessage, channel=ref.channel,
                              text=trim(SLACK.text(text, self.links), MAX_TEXT * 10), thread_ts=ref.post_id)
        return PostRef(platform=self.platform, channel=ref.channel, post_id=str(response["ts"]),
                       thread_id=ref.post_id)

    def attach(self, ref: PostRef, title: str, png: bytes) -> None:
        """A graph as a file uploaded into the card's thread (files.getUploadURLExternal + complete)."""
        self._call(self.client.files_upload_v2, channel=ref.channel, thread_ts=ref.post_id, content=png,
                   filename="graph.png", title=trim(SLACK.plain(title), 250))

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
