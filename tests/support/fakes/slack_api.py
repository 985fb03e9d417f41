"""A fake Slack Web API (https://api.slack.com/web): the methods opsbot calls, with Slack's
envelope (`{"ok": true, ...}` or `{"ok": false, "error": "..."}` with HTTP 200; HTTP 429 with
Retry-After when rate limited), bearer-token auth and the Block Kit limits Slack enforces."""

from __future__ import annotations

import itertools
import json
import threading
import time
from typing import Any

from aiohttp import web

from tests.support.fakes.server import BODY, FakeServer, json_response

BOT_TOKEN = "xoxb-fake-bot-token"
TEAM_ID = "T0FAKE01"
BOT_USER_ID = "U0BOT001"
BOT_ID = "B0BOT001"


class FakeSlack(FakeServer):
    def __init__(self, token: str = BOT_TOKEN, channels: dict[str, str] | None = None) -> None:
        super().__init__()
        self.token = token
        self.channels = channels or {"oncall": "C0ONCALL1", "storage-oncall": "C0STORAGE"}
        # (channel id, ts) -> the current message; `posts` keeps every chat.postMessage in order.
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.posts: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self._ts = itertools.count(1)
        # channel id -> the user ids in it (conversations.members); every channel has these by default
        self.members: dict[str, list[str]] = {cid: ["U2147483697", "U0BOB0002", BOT_USER_ID]
                                              for cid in self.channels.values()}
        self._state_lock = threading.Lock()
        # files_upload_v2: file id -> {"title", "channel", "thread_ts", "data"} once completed
        self.files: dict[str, dict[str, Any]] = {}
        self._uploads: dict[str, bytes] = {}
        # views.open: every modal opened, in order, with its trigger_id (a trigger opens one view)
        self.views: list[dict[str, Any]] = []

    @property
    def api_url(self) -> str:
        """What slack_sdk's WebClient takes as base_url."""
        return f"{self.base_url}/api/"

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/{method}", self._dispatch)
        app.router.add_get("/api/{method}", self._dispatch)  # read methods such as conversations.replies
        app.router.add_post("/upload/{file_id}", self._upload)  # the URL files.getUploadURLExternal hands out

    async def _dispatch(self, request: web.Request) -> web.Response:
        body = request[BODY] if isinstance(request[BODY], dict) else {}
        body = {**dict(request.query), **body}
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip() or body.get("token", "")
        if not token:
            return json_response({"ok": False, "error": "not_authed"})
        if token != self.token:
            return json_response({"ok": False, "error": "invalid_auth"})
        handler = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "conversations.replies": self._replies,
            "conversations.members": self._members,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "views.open": self._views_open,
        }.get(request.match_info["method"])
        if handler is None:
            return json_response({"ok": False, "error": "unknown_method"})
        return json_response(handler(body))

    def _upload_url(self, body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("filename") or not str(body.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ts):08d}"
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    async def _upload(self, request: web.Request) -> web.Response:
        with self._state_lock:
            self._uploads[request.match_info["file_id"]] = await request.read()
        return web.Response(text="OK")

    def _complete_upload(self, body: dict[str, Any]) -> dict[str, Any]:
        files = json.loads(body.get("files", "[]")) if isinstance(body.get("files"), str) else body.get("files", [])
        channel = self._channel_id(str(body.get("channel_id", "")))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        done = []
        with self._state_lock:
            for item in files:
                data = self._uploads.pop(str(item.get("id")), None)
                if data is None:
                    return {"ok": False, "error": "file_not_found"}
                self.files[str(item["id"])] = {"title": item.get("title", ""), "channel": channel,
                                               "thread_ts": body.get("thread_ts"), "data": data}
                done.append({"id": item["id"], "title": item.get("title", "")})
        return {"ok": True, "files": done}

    def _views_open(self, body: dict[str, Any]) -> dict[str, Any]:
        """views.open (https://api.slack.com/methods/views.open): a modal for the trigger of an interaction."""
        view = json.loads(body["view"]) if isinstance(body.get("view"), str) else body.get("view")
        trigger_id = str(body.get("trigger_id", ""))
        if not trigger_id:
            return {"ok": False, "error": "invalid_arguments"}
        if not isinstance(view, dict) or (error := view_error(view)):
            return {"ok": False, "error": error if isinstance(view, dict) else "invalid_arguments"}
        with self._state_lock:
            if any(v["trigger_id"] == trigger_id for v in self.views):
                return {"ok": False, "error": "exchanged_trigger_id"}
            opened = {**view, "id": f"V{next(self._ts):08d}", "team_id": TEAM_ID, "state": {"values": {}},
                      "hash": f"{int(time.time())}.fake", "trigger_id": trigger_id}
            self.views.append(opened)
        return {"ok": True, "view": {k: v for k, v in opened.items() if k != "trigger_id"}}

    def view_submission(self, view: dict[str, Any], user_id: str, values: dict[str, str | None]) -> dict[str, Any]:
        """The `view_submission` payload Slack sends when `user_id` submits an opened modal, the input
        blocks (block_id = action_id, as opsbot builds them) holding `values`
        (https://api.slack.com/reference/interaction-payloads/views#view_submission)."""
        state = {block: {block: {"type": "plain_text_input", "value": value}} for block, value in values.items()}
        return {"type": "view_submission", "team": {"id": TEAM_ID, "domain": "fake"},
                "user": {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": TEAM_ID},
                "api_app_id": "A123456", "token": "legacy", "trigger_id": f"2.{next(self._ts):08d}",
                "view": {**{k: v for k, v in view.items() if k != "trigger_id"}, "state": {"values": state}},
                "response_urls": [], "is_enterprise_install": False}

    def _auth_test(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://fake.slack.test/", "team": "Fake", "user": "opsbot",
                "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False}

    def _channel_id(self, channel: str) -> str | None:
        name = channel.lstrip("#")
        if name in self.channels.values():
            return name
        return self.channels.get(name)

    def _message(self, body: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
        blocks = body.get("blocks")
        if isinstance(blocks, str):  # form-encoded requests carry blocks as a JSON string
            blocks = json.loads(blocks)
        if not body.get("text") and not blocks:
            return None, "no_text"
        if blocks is not None and (error := block_kit_error(blocks)):
            return None, error
        return {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "text": body.get("text", ""),
                "blocks": blocks or []}, None

    def _post_message(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_id(str(body.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        message, error = self._message(body)
        if message is None:
            return {"ok": False, "error": error}
        with self._state_lock:
            ts = f"{int(time.time())}.{next(self._ts):06d}"
            message["ts"] = ts
            if body.get("thread_ts"):
                message["thread_ts"] = str(body["thread_ts"])
            self.messages[(channel, ts)] = message
            self.posts.append({**message, "channel": channel, "received_at": time.time()})
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _update(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_id(str(body.get("channel", "")))
        key = (channel or "", str(body.get("ts", "")))
        message, error = self._message(body)
        if message is None:
            return {"ok": False, "error": error}
        with self._state_lock:
            if key not in self.messages:
                return {"ok": False, "error": "message_not_found"}
            message["ts"] = key[1]
            self.messages[key] = message
            self.updates.append({**message, "channel": key[0], "received_at": time.time()})
        return {"ok": True, "channel": key[0], "ts": key[1], "text": message["text"], "message": message}

    def _post_ephemeral(self, body: dict[str, Any]) -> dict[str, Any]:
        if self._channel_id(str(body.get("channel", ""))) is None:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "message_ts": f"{int(time.time())}.{next(self._ts):06d}"}

    def _replies(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_id(str(body.get("channel", "")))
        ts = str(body.get("ts", ""))
        with self._state_lock:
            root = self.messages.get((channel or "", ts))
            if root is None:
                return {"ok": False, "error": "thread_not_found"}
            replies = [m for (c, _), m in self.messages.items() if c == channel and m.get("thread_ts") == ts]
        return {"ok": True, "messages": [root, *sorted(replies, key=lambda m: m["ts"])], "has_more": False}

    def _members(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_id(str(body.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "members": list(self.members.get(channel, [])), "response_metadata": {"next_cursor": ""}}

    def add_human_reply(self, channel: str, thread_ts: str, user: str, text: str) -> None:
        """A person writing in a card's thread (what the bot later reads back)."""
        with self._state_lock:
            ts = f"{int(time.time())}.{next(self._ts):06d}"
            self.messages[(channel, ts)] = {"type": "message", "user": user, "text": text, "ts": ts,
                                            "thread_ts": thread_ts}

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        with self._state_lock:
            return [p for p in self.posts if p["channel"] == channel and p.get("thread_ts") == ts]


def block_kit_error(blocks: Any) -> str | None:
    """The limits Slack answers `invalid_blocks` for (https://api.slack.com/reference/block-kit)."""
    if not isinstance(blocks, list) or len(blocks) > 50:
        return "invalid_blocks"
    for block in blocks:
        kind = block.get("type")
        text = block.get("text", {}).get("text", "") if isinstance(block.get("text"), dict) else ""
        if kind == "header" and (block["text"].get("type") != "plain_text" or len(text) > 150):
            return "invalid_blocks"
        if kind == "section":
            fields = block.get("fields", [])
            if len(text) > 3000 or len(fields) > 10 or any(len(f.get("text", "")) > 2000 for f in fields):
                return "invalid_blocks"
            if not text and not fields:
                return "invalid_blocks"
        if kind == "actions" and len(block.get("elements", [])) > 25:
            return "invalid_blocks"
        if kind not in {"header", "section", "context", "actions", "divider", "image"}:
            return "invalid_blocks"
    return None


def view_error(view: dict[str, Any]) -> str | None:
    """What Slack answers a modal it would refuse with (https://api.slack.com/reference/surfaces/views)."""
    def plain(text: Any, limit: int) -> bool:
        return isinstance(text, dict) and text.get("type") == "plain_text" and 0 < len(text.get("text", "")) <= limit

    if view.get("type") != "modal" or not plain(view.get("title"), 24):
        return "invalid_arguments"
    if any(k in view and not plain(view[k], 24) for k in ("submit", "close")):
        return "invalid_arguments"
    if len(str(view.get("private_metadata", ""))) > 3000 or len(str(view.get("callback_id", ""))) > 255:
        return "invalid_arguments"
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or not blocks or len(blocks) > 100:
        return "invalid_blocks"
    inputs = [b for b in blocks if b.get("type") == "input"]
    if inputs and "submit" not in view:  # a modal with inputs needs a submit button
        return "invalid_arguments"
    for block in inputs:
        element = block.get("element") or {}
        if not plain(block.get("label"), 2000) or element.get("type") != "plain_text_input" or \
                not 0 < int(element.get("max_length", 3000)) <= 3000:
            return "invalid_blocks"
    if block_kit_error([b for b in blocks if b.get("type") != "input"]):
        return "invalid_blocks"
    return None
