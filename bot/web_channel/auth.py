"""Who may use the board, and proof that a POST comes from the board's own page.

Login: on a loopback address (`web.host` 127.0.0.1, ::1, localhost) the board is open, but only to
requests whose Host header names a loopback host (a DNS-rebinding page cannot reach it). On any other
address a login is required: `webchat.token` (as `Authorization: Bearer`, or once as `?token=` on
/web/login, which sets a session cookie) or `webchat.basic_user`/`basic_password` (the browser's own
prompt). Without either the board refuses to serve (403 saying what to configure).

CSRF: the page carries a random token that is also in an HttpOnly, SameSite=Strict cookie; every POST
must send it back in `X-CSRF-Token` (double submit: stateless, so any replica checks it), be JSON
(which a cross-site form cannot send), and, when the browser says its Origin, come from this host.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import secrets

from aiohttp import web

from bot.config import Settings
from bot.request_input import secure_equal

SESSION_COOKIE = "opsbot_web_session"
CSRF_COOKIE = "opsbot_csrf"
CSRF_HEADER = "X-CSRF-Token"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def is_loopback(host: str) -> bool:
    host = host.strip().strip("[]").lower()
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def login_required(settings: Settings) -> bool:
    return not is_loopback(settings.web.host)


def _session_value(settings: Settings) -> str:
    chat = settings.webchat
    secret = (chat.token.get_secret_value() if chat.token else
              f"{chat.basic_user}:{chat.basic_password.get_secret_value() if chat.basic_password else ''}")
    return hmac.new(secret.encode(), b"opsbot-web-session", hashlib.sha256).hexdigest()


def _basic_ok(header_value: str, settings: Settings) -> bool:
    chat = settings.webchat
    if not (chat.basic_user and chat.basic_password):
        return False
    try:
        decoded = base64.b64decode(header_value.strip().encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        return False
    user, _, password = decoded.partition(":")
    user_ok = secure_equal(user, chat.basic_user)
    return secure_equal(password, chat.basic_password.get_secret_value()) and user_ok


def token_ok(presented: str, settings: Settings) -> bool:
    token = settings.webchat.token
    return token is not None and bool(presented) and secure_equal(presented, token.get_secret_value())


def logged_in(request: web.Request, settings: Settings) -> bool:
    if not login_required(settings):
        host = request.host.rsplit(":", 1)[0] if not request.host.startswith("[") else request.host.split("]")[0]
        return is_loopback(host)
    if not settings.webchat.login_configured:
        return False
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if cookie and secure_equal(cookie, _session_value(settings)):
        return True
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return token_ok(value.strip(), settings)
    return scheme.lower() == "basic" and _basic_ok(value, settings)


def set_session(response: web.StreamResponse, request: web.Request, settings: Settings) -> None:
    response.set_cookie(SESSION_COOKIE, _session_value(settings), httponly=True, samesite="Strict",
                        secure=request.secure, path="/")


def csrf_token(request: web.Request) -> str:
    """The browser's token (from its cookie), or a new one the page response must set."""
    current = request.cookies.get(CSRF_COOKIE, "")
    return current if len(current) == 43 and current.replace("-", "").replace("_", "").isalnum() else \
        secrets.token_urlsafe(32)


def set_csrf(response: web.StreamResponse, request: web.Request, token: str) -> None:
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="Strict", secure=request.secure, path="/")


def csrf_problem(request: web.Request) -> str | None:
    """Why a POST is refused (None: it is the board's own): token, media type, origin."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER, "")
    if not cookie or not sent or not secure_equal(sent, cookie):
        return "missing or wrong CSRF token (reload the page)"
    if request.headers.get("Content-Type", "").partition(";")[0].strip().lower() != "application/json":
        return "expected application/json"
    origin = request.headers.get("Origin")
    if origin and origin.split("://", 1)[-1] != request.host:
        return "cross-origin request"
    return None
