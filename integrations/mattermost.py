"""Mattermost: message-attachment rendering of cards and a chat channel on the REST API v4
(mattermostdriver, bot account token).

Posts carry one attachment (colour by status/severity, title, text, fields with `short`, footer and
interactive buttons whose `integration.url` points back at the bot's /mattermost/action).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import requests
from mattermostdriver import Driver
from mattermostdriver.exceptions import (
    ContentTooLarge,
    InvalidOrMissingParameters,
    MethodNotAllowed,
    NoAccessTokenProvided,
    NotEnoughPermissions,
    ResourceNotFound,
)

from core.cards import Card, card_color
from integrations.card_text import (
    FIXES_HEADING,
    HYPOTHESIS_HEADING,
    MATTERMOST,
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

MAX_MESSAGE = 16000  # Mattermost's post limit is 16383 characters
CHANNEL_ID_LENGTH = 26
BUTTON_STYLES = {"default", "primary", "success", "good", "warning", "danger"}
FATAL_ERRORS = (InvalidOrMissingParameters, NoAccessTokenProvided, NotEnoughPermissions, ResourceNotFound,
                MethodNotAllowed, ContentTooLarge)


def sign_action(secret: str, action: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{action}\n{value}".encode(), hashlib.sha256).hexdigest()


def verify_action(secret: str, action: str, value: str, signature: str) -> bool:
    """Mattermost returns a button's context verbatim; only the bot can have signed it. A signature is
    hex: anything else (non-ASCII text included) cannot be one and is never compared."""
    return bool(secret) and signature.isascii() and hmac.compare_digest(sign_action(secret, action, value), signature)


def render_mattermost(card: Card, action_url: str | None = None, action_secret: str = "",
                      links: LinkPolicy = NO_LINKS) -> dict[str, Any]:
    """The `message` and `props` of a post. Every value of the card is neutralised
    (`integrations.neutralise.MATTERMOST`: Markdown where the attachment reads Markdown, `plain` in
    titles and the footer); only links `links` allows are clickable. Buttons are rendered only with a
    callback URL and a secret: each carries a signature of its action and value so forged callbacks
    can be refused."""
    sections: list[Markup] = [MATTERMOST.text(card.text or card.summary, links)]
    for heading, body in (("Findings", findings_text(card, MATTERMOST)),
                          (HYPOTHESIS_HEADING, hypothesis_text(card, MATTERMOST)),
                          ("Evidence", evidence_text(card, MATTERMOST, links)),
                          ("Next steps", steps_text(card, MATTERMOST, links)),
                          (FIXES_HEADING, fixes_text(card, MATTERMOST, links)),
                          ("Sources", citations_text(card, MATTERMOST, links))):
        if body:
            sections.append(Markup(f"**{heading}**\n{body}"))
    if card.links:
        sections.append(links_text(card, MATTERMOST, links))
    attachment: dict[str, Any] = {
        "fallback": headline_text(card, MATTERMOST),
        "color": card_color(card),
        "title": title_line(card, MATTERMOST),
        "text": trim("\n\n".join(s for s in sections if s), MAX_MESSAGE),
        "fields": [{"title": MATTERMOST.plain(f.name), "value": MATTERMOST.inline(f.value, links), "short": f.short}
                   for f in card.fields],
        "footer": trim(footer_text(card, MATTERMOST.plain), 2000),
    }
    if card.buttons and action_url and action_secret:
        attachment["actions"] = [
            {"id": b.action.replace("_", "").replace("-", "")[:20] or "action", "name": MATTERMOST.plain(b.label),
             "type": "button", "style": b.style if b.style in BUTTON_STYLES else "default",
             "integration": {"url": action_url, "context": {
                 "action": b.action, "value": b.value, "signature": sign_action(action_secret, b.action, b.value),
             }}}
            for b in card.buttons
        ]
    return {"message": trim(headline_text(card, MATTERMOST), MAX_MESSAGE), "props": {"attachments": [attachment]}}


MAX_DIALOG_TITLE = 24  # model.OpenDialogRequest.IsValid: title, element display names


def textarea_dialog(callback_id: str, url: str, title: str, label: str, state: str, *, field: str,
                    max_length: int, note: str = "") -> dict[str, Any]:
    """An interactive dialog with one optional textarea (`POST /actions/dialogs/open` without the
    trigger id); Mattermost POSTs the submission to `url` with `state` verbatim and `submission[field]`."""
    return {"url": url, "dialog": {
        "callback_id": callback_id, "title": trim(title, MAX_DIALOG_TITLE), "introduction_text": note,
        "submit_label": "Send", "notify_on_cancel": False, "state": state,
        "elements": [{"display_name": trim(label, MAX_DIALOG_TITLE), "name": field, "type": "textarea",
                      "optional": True, "max_length": max_length}]}}


class MattermostChannel:
    platform = "mattermost"

    def __init__(self, url: str, token: str, team: str = "", basepath: str = "/api/v4",
                 timeout: float = 10.0, action_url: str | None = None, action_secret: str = "",
                 links: LinkPolicy = NO_LINKS) -> None:
        parts = urlsplit(url)
        scheme = parts.scheme or "https"
        port = parts.port or (443 if scheme == "https" else 80)
        self.driver = Driver({"url": parts.hostname or url, "port": port, "scheme": scheme, "token": token,
                              "basepath": basepath, "timeout": timeout})
        self.driver.client.token = token  # a bot token needs no login round trip
        self.team = team
        self.links = links  # the hosts whose links cards may make clickable (bot.config's allowlist)
        self.render = partial(render_mattermost, action_url=action_url, action_secret=action_secret, links=links)
        self._channel_ids: dict[str, str] = {}
        self._lock = threading.Lock()

    def channel_id(self, channel: str) -> str:
        """A 26-character id is used as is; a name is resolved once in the configured team."""
        name = channel.lstrip("#~")
        if len(name) == CHANNEL_ID_LENGTH and name.isalnum() and name.islower():
            return name
        with self._lock:
            if name not in self._channel_ids:
                if not self.team:
                    raise ChatError(f"mattermost channel {channel!r} is a name but no team is configured",
                                    retryable=False)
                found = self._call(self.driver.channels.get_channel_by_name_and_team_name, self.team, name)
                self._channel_ids[name] = str(found["id"])
            return self._channel_ids[name]

    def post(self, channel: str, card: Card, thread_id: str | None = None) -> PostRef:
        channel_id = self.channel_id(channel)
        body = {"channel_id": channel_id, **self.render(card), **({"root_id": thread_id} if thread_id else {})}
        created = self._call(self.driver.posts.create_post, body)
        return PostRef(platform=self.platform, channel=channel_id, post_id=str(created["id"]), thread_id=thread_id)

    def update(self, ref: PostRef, card: Card) -> None:
        self._call(self.driver.posts.patch_post, ref.post_id, self.render(card))

    def reply(self, ref: PostRef, text: str) -> PostRef:
        message = trim(MATTERMOST.text(text, self.links), MAX_MESSAGE)
        created = self._call(self.driver.posts.create_post,
                             {"channel_id": ref.channel, "message": message, "root_id": ref.post_id})
        return PostRef(platform=self.platform, channel=ref.channel, post_id=str(created["id"]), thread_id=ref.post_id)

    def attach(self, ref: PostRef, title: str, png: bytes) -> None:
        """A graph as a file (POST /files) on a reply in the card's thread (`file_ids`)."""
        uploaded = self._call(self.driver.files.upload_file, ref.channel, {"files": ("graph.png", png, "image/png")})
        file_ids = [str(info["id"]) for info in uploaded.get("file_infos", [])]
        self._call(self.driver.posts.create_post, {"channel_id": ref.channel, "root_id": ref.post_id,
                                                   "message": trim(MATTERMOST.text(title, self.links), MAX_MESSAGE),
                                                   "file_ids": file_ids})

    def open_dialog(self, trigger_id: str, dialog: dict[str, Any]) -> None:
        """Open an interactive dialog (`textarea_dialog`) for the person whose press carried `trigger_id`."""
        self._call(self.driver.integration_actions.open_dialog, {"trigger_id": trigger_id, **dialog})

    def thread(self, ref: PostRef) -> list[ThreadMessage]:
        found = self._call(self.driver.posts.get_thread, ref.post_id)
        posts = [found["posts"][post_id] for post_id in found.get("order", []) if post_id in found.get("posts", {})]
        people = [p for p in posts if p["id"] != ref.post_id and not (p.get("props") or {}).get("from_bot")]
        return [ThreadMessage(user=str(p.get("user_id", "")), text=str(p.get("message", "")))
                for p in sorted(people, key=lambda p: p.get("create_at", 0))]

    def thread_root(self, channel: str, message_id: str) -> str:
        # An outgoing webhook names the message, not its thread: the post itself knows its root.
        post = self._call(self.driver.posts.get_post, message_id)
        return str(post.get("root_id") or message_id)

    @staticmethod
    def _call(method: Any, *args: Any) -> Any:
        try:
            return method(*args)
        except FATAL_ERRORS as exc:
            raise ChatError(f"mattermost API error: {type(exc).__name__}: {exc}", retryable=False) from None
        except requests.HTTPError as exc:
            response = exc.response
            status = response.status_code if response is not None else 0
            if status == 429:
                headers = response.headers if response is not None else {}
                retry_after = _retry_after(headers)
                raise ChatError("mattermost rate limited", retryable=True, retry_after=retry_after,
                                status=429) from None
            raise ChatError(f"mattermost API error: HTTP {status}", retryable=status >= 500, status=status) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise ChatError(f"mattermost unreachable: {exc}", retryable=True) from None


def _retry_after(headers: Any) -> float:
    """Mattermost sends X-Ratelimit-Reset (seconds until the window resets); Retry-After if a proxy does."""
    for name in ("Retry-After", "X-Ratelimit-Reset"):
        value = headers.get(name)
        if value:
            try:
                return float(value)
            except ValueError:
                continue
    return 1.0
