"""The web process (aiohttp): authenticate, validate, limit, dedupe, enqueue, answer fast.

Kept lean on purpose: no integration client or model library is imported here; the work happens
in Celery workers. Chat routes (bot.chat_routes, loaded only when a platform is configured) import
the command registry, which is light: parsers and usage text, no clients are created.

Hostile or broken input gets a 4xx with a reason, never a 500: the `guard` middleware reads every
body within `web.body_timeout_s` (408 and the connection closed after that: a stalled body cannot hold
a connection open) and `web.max_body_bytes` (413), answers `BadRequest` with its status, and, as the
last line of defence, turns any other exception a malformed request provokes into a 400 logged at
WARNING without a traceback. Header sizes are aiohttp's parser limits (`web.max_line_bytes`,
`.max_field_bytes`, `.max_headers`; 400 past them).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aiohttp
import aiohttp.http_exceptions
import redis.asyncio as aioredis
from aiohttp import web
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.app_keys import DEDUPE_PREFIX, EXECUTOR, METRICS, PUBLISHER, REDIS, SETTINGS
from bot.celery_app import QUEUE_ALERTS, make_celery
from bot.chat_routes import add_chat_routes
from bot.config import Settings, WebhookAuthSettings
from bot.enqueue import TaskPublisher
from bot.health import ComponentHealthCollector, RecentHealth
from bot.knowledge_routes import add_knowledge_routes
from bot.metrics import SharedMetricsCollector, WebMetrics
from bot.request_input import CLIENT_FAULTS, BadRequest, body_bytes, secure_equal
from core.events import InvalidPayload, parse_alert_group
from integrations.redaction import redact

log = logging.getLogger("opsbot.web")
HEALTH: web.AppKey[RecentHealth] = web.AppKey("health", RecentHealth)
WEBHOOK_PATH = "/webhook/alertmanager"
LINGERING_S = 2.0
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error(status: int, message: str, **extra: str) -> web.Response:
    return web.json_response({"status": "rejected", "error": message, **extra}, status=status)


class ServerLog(logging.LoggerAdapter):
    """aiohttp's request-handler logger: a request its HTTP parser refuses (header bytes it does not
    allow, a line or field past the limits) is answered 400 by aiohttp and is the client's mistake, so it
    is logged at INFO without a traceback; anything else is logged as aiohttp logs it."""

    def exception(self, msg: Any, *args: Any, exc_info: Any = True, **kwargs: Any) -> None:
        if isinstance(exc_info, aiohttp.http_exceptions.HttpProcessingError):
            self.info("%s: HTTP %s %s", msg % args if args else msg, exc_info.code,
                      str(exc_info.message).strip().splitlines()[0][:200] if exc_info.message else "")
            return
        super().exception(msg, *args, exc_info=exc_info, **kwargs)


async def _answer_and_close(request: web.Request, response: web.Response) -> web.Response:
    """Send `response` and close the connection at once: aiohttp would otherwise linger, reading what
    is left of a body that is not coming."""
    response.force_close()
    await response.prepare(request)
    await response.write_eof()
    if request.transport is not None:
        request.transport.close()  # after the answer is flushed
    return response


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Read the body within the time and size limits, then run the handler; a client's mistake
    anywhere below is a 4xx with a reason."""
    settings, metrics = request.app[SETTINGS], request.app[METRICS]
    limit = settings.web.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        if request.path == WEBHOOK_PATH:
            metrics.webhook_requests.labels("too_large").inc()
        response = _error(413, f"body larger than {limit} bytes")
        response.force_close()  # the body is not read
        return response
    if request.body_exists:
        timeout = settings.web.body_timeout_s
        try:
            await asyncio.wait_for(request.read(), timeout)
        except TimeoutError:
            if request.path == WEBHOOK_PATH:
                metrics.webhook_requests.labels("timeout").inc()
            log.info("%s %s: body not received within %g s; connection closed", request.method, request.path,
                     timeout)
            refused = _error(408, f"the request body did not arrive within {timeout:g} s")
            return await _answer_and_close(request, refused)
        except web.HTTPRequestEntityTooLarge:
            if request.path == WEBHOOK_PATH:
                metrics.webhook_requests.labels("too_large").inc()
            response = _error(413, f"body larger than {limit} bytes")
            response.force_close()  # the rest of the body is not read
            return response
        except (OSError, EOFError, aiohttp.ClientError, aiohttp.http_exceptions.HttpProcessingError) as exc:
            log.info("%s %s: body could not be read: %s", request.method, request.path, exc)
            response = _error(400, f"the request body could not be read: {type(exc).__name__}")
            response.force_close()
            return response
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except BadRequest as exc:
        return _error(exc.status, exc.message)
    except InvalidPayload as exc:
        return _error(400, str(exc))
    except CLIENT_FAULTS as exc:
        log.warning("%s %s: malformed request refused (%s: %s)", request.method, request.path,
                    type(exc).__name__, redact(str(exc)[:200]))
        return _error(400, f"malformed request ({type(exc).__name__})")


def create_app(settings: Settings) -> web.Application:
    if not settings.redis_url:
        raise ValueError("the web app needs OPSBOT_REDIS_URL (opsbot up sets it for the embedded Valkey)")
    app = web.Application(client_max_size=settings.web.max_body_bytes, middlewares=[guard],
                          handler_args={"max_line_size": settings.web.max_line_bytes,
                                        "max_field_size": settings.web.max_field_bytes,
                                        "max_headers": settings.web.max_headers,
                                        # what is left of a refused body is read (so the client sees the
                                        # answer) for at most this long, not aiohttp's 10 s
                                        "lingering_time": LINGERING_S,
                                        "logger": ServerLog(logging.getLogger("aiohttp.server"), {})})
    metrics = WebMetrics()
    app[SETTINGS] = settings
    app[METRICS] = metrics
    app[REDIS] = aioredis.Redis.from_url(settings.redis_url)
    app[PUBLISHER] = TaskPublisher(make_celery(settings), app[REDIS])
    # For the blocking work that remains (the /metrics scrape reads Redis synchronously).
    app[EXECUTOR] = ThreadPoolExecutor(max_workers=2, thread_name_prefix="web-sync")
    import redis as sync_redis

    metrics.registry.register(SharedMetricsCollector(sync_redis.Redis.from_url(settings.redis_url)))
    app[HEALTH] = RecentHealth(settings)
    metrics.registry.register(ComponentHealthCollector(app[HEALTH]))
    app.router.add_post(WEBHOOK_PATH, alertmanager_webhook)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_endpoint)
    add_chat_routes(app, settings)
    add_knowledge_routes(app, settings)
    app.on_cleanup.append(_close)
    return app


async def _close(app: web.Application) -> None:
    await app[REDIS].aclose()
    app[EXECUTOR].shutdown(wait=False)


def authorized(request: web.Request, auth: WebhookAuthSettings) -> bool:
    """Bearer and/or basic auth, compared in constant time; any configured credential admits. A header
    that is not ASCII or UTF-8 (latin-1 bytes, say) is a wrong credential, not an error."""
    if not auth.enabled:
        return True
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if auth.bearer_token and scheme.lower() == "bearer":
        return secure_equal(value.strip(), auth.bearer_token.get_secret_value())
    if auth.basic_user and scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip().encode("ascii"), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeError, ValueError):
            return False
        user, _, password = decoded.partition(":")
        expected_password = auth.basic_password.get_secret_value() if auth.basic_password else ""
        user_ok = secure_equal(user, auth.basic_user)
        password_ok = secure_equal(password, expected_password)
        return user_ok and password_ok
    return False


def _reject(metrics: WebMetrics, status: int, outcome: str, message: str) -> web.Response:
    metrics.webhook_requests.labels(outcome).inc()
    headers = {"WWW-Authenticate": 'Bearer realm="opsbot", Basic realm="opsbot"'} if status == 401 else None
    return web.json_response({"status": "rejected", "error": message}, status=status, headers=headers)


async def alertmanager_webhook(request: web.Request) -> web.Response:
    received_at = time.time()
    started = time.perf_counter()
    settings, metrics = request.app[SETTINGS], request.app[METRICS]
    if not authorized(request, settings.webhook_auth):
        return _reject(metrics, 401, "unauthorized", "missing or wrong credentials")
    body = await body_bytes(request)  # read by `guard`, within the size and time limits
    try:
        group = parse_alert_group(body)
    except InvalidPayload as exc:
        return _reject(metrics, 400, "invalid", str(exc))

    try:
        queued = await request.app[PUBLISHER].publish_tracked(
            DEDUPE_PREFIX + group.idempotency_key, settings.celery.dedupe_ttl_s, "bot.tasks.process_alert_group",
            [group.model_dump(mode="json"), received_at], QUEUE_ALERTS, argsrepr=f"({group.incident_key})",
        )
    except aioredis.RedisError as exc:
        # Nothing was remembered, so Alertmanager's retry will be accepted: nothing is lost.
        log.error("broker unreachable, webhook refused for a retry: %s", exc)
        return _reject(metrics, 503, "enqueue_failed", "queue unavailable, retry later")
    if not queued:
        metrics.webhook_requests.labels("duplicate").inc()
        return web.json_response({"status": "duplicate", "incident": group.incident_key})
    metrics.enqueue_seconds.observe(time.perf_counter() - started)
    metrics.webhook_requests.labels("accepted").inc()
    return web.json_response({"status": "accepted", "incident": group.incident_key})


async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready when the broker answers (alerts are accepted, cards delivered); every component's state
    is listed, so a down LLM or embedding server shows here without making the bot unready."""
    loop = asyncio.get_running_loop()
    health = await loop.run_in_executor(request.app[EXECUTOR], request.app[HEALTH].get)
    body = {"status": "ready" if health.ready else "unready",
            "broker": "ok" if health.ready else f"unreachable: {health.components[0].detail}",
            "components": {c.name: {"state": c.state, "detail": c.detail} for c in health.components}}
    return web.json_response(body, status=200 if health.ready else 503)


async def metrics_endpoint(request: web.Request) -> web.Response:
    loop = asyncio.get_running_loop()
    payload = await loop.run_in_executor(request.app[EXECUTOR], generate_latest, request.app[METRICS].registry)
    return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})


def run_web(settings: Settings) -> None:
    # The header limits travel with the app (`handler_args`), so every runner serving it applies them.
    web.run_app(create_app(settings), host=settings.web.host, port=settings.web.port,
                print=lambda msg: log.info(msg.strip()), access_log=None)
