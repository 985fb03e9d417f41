"""A fake Mattermost REST API v4 (https://api.mattermost.com): posts, post patches, thread replies
(root_id), file uploads (POST /files, then `file_ids` on a post) and channel lookup by team and name,
with bearer-token auth, Mattermost's error body
(`id`, `message`, `status_code`) and HTTP 429 with X-Ratelimit-* headers when rate limited."""

from __future__ import annotations

import secrets
import string
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from aiohttp import web

from tests.support.fakes.server import BODY, FakeServer, json_response

BOT_TOKEN = "fake-mattermost-bot-token"
MAX_MESSAGE_RUNES = 16383


def new_id() -> str:
    """Mattermost ids are 26 lowercase base32 characters."""
    return "".join(secrets.choice(string.ascii_lowercase + "13456789") for _ in range(26))


def app_error(status: int, error_id: str, message: str) -> web.Response:
    return json_response({"id": error_id, "message": message, "detailed_error": "", "request_id": new_id(),
                          "status_code": status}, status=status)


class FakeMattermost(FakeServer):
    def __init__(self, token: str = BOT_TOKEN, team: str = "ops", channels: tuple[str, ...] = ("oncall",)) -> None:
        super().__init__()
        self.token = token
        self.team = {"id": new_id(), "name": team, "display_name": team.title(), "type": "O"}
        self.channels = {name: {"id": new_id(), "team_id": self.team["id"], "name": name, "display_name": name,
                                "type": "O", "header": "", "purpose": "", "create_at": 0, "update_at": 0,
                                "delete_at": 0} for name in channels}
        self.bot_user = {"id": new_id(), "username": "opsbot", "is_bot": True, "roles": "system_user"}
        self.posts: dict[str, dict[str, Any]] = {}
        self.created: list[dict[str, Any]] = []  # every created post, in order, with received_at
        self.patches: list[dict[str, Any]] = []
        self.files: dict[str, dict[str, Any]] = {}  # POST /files: file id -> name, size, mime_type, data
        self._state_lock = threading.Lock()
        # channel id -> the user ids in it (GET /channels/{id}/members/{user_id})
        self.members: dict[str, set[str]] = {str(c["id"]): {str(self.bot_user["id"])} for c in self.channels.values()}
        # POST /actions/dialogs/open: every dialog opened, in order ({"trigger_id", "url", "dialog"})
        self.dialogs: list[dict[str, Any]] = []

    def routes(self, app: web.Application) -> None:
        api = "/api/v4"
        app.router.add_get(f"{api}/users/me", self._me)
        app.router.add_post(f"{api}/posts", self._create_post)
        app.router.add_post(f"{api}/files", self._upload_file)
        app.router.add_put(f"{api}/posts/{{post_id}}/patch", self._patch_post)
        app.router.add_put(f"{api}/posts/{{post_id}}", self._patch_post)
        app.router.add_get(f"{api}/posts/{{post_id}}/thread", self._thread)
        app.router.add_get(f"{api}/posts/{{post_id}}", self._get_post)
        app.router.add_get(f"{api}/teams/name/{{team}}/channels/name/{{channel}}", self._channel_by_name)
        app.router.add_get(f"{api}/channels/{{channel_id}}", self._channel)
        app.router.add_get(f"{api}/channels/{{channel_id}}/members/{{user_id}}", self._channel_member)
        app.router.add_post(f"{api}/actions/dialogs/open", self._open_dialog)

    def channel_id(self, name: str) -> str:
        return str(self.channels[name]["id"])

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        return header.lower().startswith("bearer ") and secrets.compare_digest(header[7:], self.token)

    @staticmethod
    def _unauthorized() -> web.Response:
        return app_error(401, "api.context.session_expired.app_error",
                         "Invalid or expired session, please login again.")

    async def _me(self, request: web.Request) -> web.Response:
        return json_response(self.bot_user) if self._authorized(request) else self._unauthorized()

    async def _channel_by_name(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized()
        channel = self.channels.get(request.match_info["channel"])
        if request.match_info["team"] != self.team["name"] or channel is None:
            return app_error(404, "app.channel.get_by_name.missing.app_error", "Unable to find the existing channel.")
        return json_response(channel)

    async def _channel(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized()
        for channel in self.channels.values():
            if channel["id"] == request.match_info["channel_id"]:
                return json_response(channel)
        return app_error(404, "app.channel.get.existing.app_error", "Unable to find the existing channel.")

    async def _channel_member(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized()
        channel_id, user_id = request.match_info["channel_id"], request.match_info["user_id"]
        if user_id not in self.members.get(channel_id, set()):
            return app_error(404, "app.channel.get_member.missing.app_error",
                             "No channel member found for that user ID and channel ID.")
        return json_response({"channel_id": channel_id, "user_id": user_id, "roles": "channel_user",
                              "msg_count": 0, "mention_count": 0})

    async def _open_dialog(self, request: web.Request) -> web.Response:
        """POST /actions/dialogs/open (model.OpenDialogRequest): needs no session, only a trigger id that
        the server issued with an action request; one dialog per trigger."""
        body = request[BODY]
        error = dialog_error(body) if isinstance(body, dict) else "Invalid or missing dialog."
        if error:
            return app_error(400, "interactive_message.decode_trigger_id.missing_data", error)
        with self._state_lock:
            if any(d["trigger_id"] == body["trigger_id"] for d in self.dialogs):
                return app_error(400, "interactive_message.decode_trigger_id.expired", "Trigger ID used already.")
            self.dialogs.append({**body, "received_at": time.time()})
        return json_response({"status": "OK"})

    @staticmethod
    def dialog_submission(opened: dict[str, Any], user_id: str, channel_id: str, submission: dict[str, Any],
                          cancelled: bool = False) -> dict[str, Any]:
        """What the server POSTs to an opened dialog's `url` when the person sends it
        (model.SubmitDialogRequest; the state comes back verbatim)."""
        return {"type": "dialog_submission", "url": opened["url"], "callback_id": opened["dialog"]["callback_id"],
                "state": opened["dialog"].get("state", ""), "user_id": user_id, "channel_id": channel_id,
                "team_id": new_id(), "submission": {} if cancelled else submission, "cancelled": cancelled}

    def _refused_post(self, request: web.Request) -> web.Response | None:
        """The error for a post create or patch without a valid token or with an invalid body; None when fine."""
        if not self._authorized(request):
            return self._unauthorized()
        return self._invalid_post(request[BODY])

    def _invalid_post(self, body: Any) -> web.Response | None:
        if not isinstance(body, dict):
            return app_error(400, "api.context.invalid_body_param.app_error", "Invalid or missing post.")
        if len(str(body.get("message", ""))) > MAX_MESSAGE_RUNES:
            return app_error(400, "model.post.is_valid.msg.app_error", "Invalid Message.")
        attachments = (body.get("props") or {}).get("attachments", [])
        if not isinstance(attachments, list) or any(not isinstance(a, dict) for a in attachments):
            return app_error(400, "model.post.is_valid.props.app_error", "Invalid props.")
        return None

    async def _create_post(self, request: web.Request) -> web.Response:
        if error := self._refused_post(request):
            return error
        body = request[BODY]
        channel_id = body.get("channel_id", "")
        if channel_id not in {c["id"] for c in self.channels.values()}:
            return app_error(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
        root_id = body.get("root_id", "")
        now = int(time.time() * 1000)
        with self._state_lock:
            if root_id and root_id not in self.posts:
                return app_error(400, "api.post.create_post.root_id.app_error", "Invalid RootId parameter.")
            post = {"id": new_id(), "create_at": now, "update_at": now, "edit_at": 0, "delete_at": 0,
                    "is_pinned": False, "user_id": self.bot_user["id"], "channel_id": channel_id, "root_id": root_id,
                    "original_id": "", "message": body.get("message", ""), "type": "",
                    # Mattermost marks what a bot account posts with props.from_bot
                    "props": {**(body.get("props") or {}), "from_bot": "true"}, "hashtags": "",
                    "pending_post_id": "", "reply_count": 0, "file_ids": list(body.get("file_ids") or []),
                    "metadata": {}}
            self.posts[post["id"]] = post
            self.created.append({**post, "received_at": time.time()})
        return json_response(post, status=201)

    async def _upload_file(self, request: web.Request) -> web.Response:
        """POST /files (multipart: channel_id, files): what MattermostChannel.attach sends."""
        if not self._authorized(request):
            return self._unauthorized()
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {request.headers.get('Content-Type', '')}\r\n\r\n".encode() + await request.read())
        fields: dict[str, str] = {}
        infos = []
        for part in message.iter_parts() if message.is_multipart() else []:
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            if name == "files":
                file_id = new_id()
                info: dict[str, Any] = {"id": file_id, "name": part.get_filename() or "file", "size": len(data),
                                        "mime_type": part.get_content_type()}
                infos.append(info)
                with self._state_lock:
                    self.files[file_id] = {**info, "data": data}
            elif isinstance(name, str):
                fields[name] = data.decode()
        if fields.get("channel_id") not in {c["id"] for c in self.channels.values()} or not infos:
            return app_error(400, "api.file.upload_file.incorrect_number_of_files.app_error", "Bad upload.")
        return json_response({"file_infos": infos, "client_ids": []}, status=201)

    async def _patch_post(self, request: web.Request) -> web.Response:
        if error := self._refused_post(request):
            return error
        body = request[BODY]
        with self._state_lock:
            post = self.posts.get(request.match_info["post_id"])
            if post is None:
                return app_error(404, "app.post.get.app_error", "Unable to get the post.")
            for key in ("message", "props", "is_pinned"):
                if key in body:
                    post[key] = body[key]
            if post["user_id"] == self.bot_user["id"]:
                post["props"] = {**post["props"], "from_bot": "true"}
            post["edit_at"] = post["update_at"] = int(time.time() * 1000)
            self.patches.append({**post, "received_at": time.time()})
            return json_response(post)

    async def _thread(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized()
        root_id = request.match_info["post_id"]
        with self._state_lock:
            if root_id not in self.posts:
                return app_error(404, "app.post.get.app_error", "Unable to get the post.")
            posts = {pid: p for pid, p in self.posts.items() if pid == root_id or p["root_id"] == root_id}
        order = sorted(posts, key=lambda pid: posts[pid]["create_at"], reverse=True)  # newest first, as the API does
        return json_response({"order": order, "posts": posts, "next_post_id": "", "prev_post_id": ""})

    async def _get_post(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized()
        with self._state_lock:
            post = self.posts.get(request.match_info["post_id"])
        if post is None:
            return app_error(404, "app.post.get.app_error", "Unable to get the post.")
        return json_response(post)

    def add_human_post(self, channel_id: str, user_id: str, message: str, root_id: str = "") -> str:
        """A message a person wrote (top level, or a reply when `root_id` is given); returns its id."""
        now = int(time.time() * 1000)
        post: dict[str, Any] = {"id": new_id(), "create_at": now, "update_at": now, "edit_at": 0, "delete_at": 0,
                                "user_id": user_id, "channel_id": channel_id, "root_id": root_id, "message": message,
                                "type": "", "props": {}}
        with self._state_lock:
            self.posts[post["id"]] = post
        return str(post["id"])

    def add_human_reply(self, root_id: str, user_id: str, message: str) -> str:
        with self._state_lock:
            channel_id = str(self.posts[root_id]["channel_id"])
        return self.add_human_post(channel_id, user_id, message, root_id)

    def thread(self, root_id: str) -> list[dict[str, Any]]:
        with self._state_lock:
            return [p for p in self.created if p["root_id"] == root_id]


DIALOG_ELEMENT_TYPES = {"text", "textarea", "select", "bool", "radio"}


def dialog_error(body: dict[str, Any]) -> str | None:
    """Why Mattermost would refuse to open this dialog (model.OpenDialogRequest and Dialog.IsValid)."""
    dialog = body.get("dialog")
    if not body.get("trigger_id") or not str(body.get("url", "")).startswith(("http://", "https://")):
        return "Missing trigger_id or url."
    if not isinstance(dialog, dict) or not 0 < len(str(dialog.get("title", ""))) <= 24:
        return "Invalid dialog title."
    elements = dialog.get("elements") or []
    if not isinstance(elements, list) or len(elements) > 5:
        return "Invalid dialog elements."
    for element in elements:
        if not isinstance(element, dict) or element.get("type") not in DIALOG_ELEMENT_TYPES or \
                not 0 < len(str(element.get("name", ""))) <= 300 or len(str(element.get("display_name", ""))) > 24:
            return "Invalid dialog element."
        if element["type"] == "textarea" and not 0 <= int(element.get("max_length", 0)) <= 3000:
            return "Invalid textarea max_length."
    return None
