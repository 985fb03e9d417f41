"""The web process (aiohttp): authenticate, validate, limit, dedupe, enqueue, answer fast.

Kept lean on purpose: no integration client or model library is imported here; the work happens
in Celery workers. Chat routes (bot.chat_routes, loaded only when a platform is configured) import
the command registry, which is light: parsers and usage text, no clients are created.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import logging
import time
from concurrent.futures import ThreadPoolExecutor

import redis.asyncio as aioredis
from aiohttp import web
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.app_keys import DEDUPE_PREFIX, EXECUTOR, METRICS, PUBLISHER, REDIS, SETTINGS
from bot.celery_app import QUEUE_ALERTS, make_celery
from bot.chat_routes import add_chat_routes
from bot.config import Settings, WebhookAuthSettings
from bot.enqueue import TaskPublisher
from bot.health import ComponentHealthCollector, check_health
from bot.metrics import SharedMetricsCollector, WebMetrics
from core.events import InvalidPayload, parse_alert_group

log = logging.getLogger("opsbot.web")



def create_app(settings: Settings) -> web.Application:
    if not settings.redis_url:
        raise ValueError("the web app needs OPSBOT_REDIS_URL (opsbot up sets it for the embedded Valkey)")
    app = web.Application(client_max_size=settings.web.max_body_bytes)
    metrics = WebMetrics()
    app[SETTINGS] = settings
    app[METRICS] = metrics
    app[REDIS] = aioredis.Redis.from_url(settings.redis_url)
    app[PUBLISHER] = TaskPublisher(make_celery(settings), app[REDIS])
    # For the blocking work that remains (the /metrics scrape reads Redis synchronously).
    app[EXECUTOR] = ThreadPoolExecutor(max_workers=2, thread_name_prefix="web-sync")
    import redis as sync_redis

    metrics.registry.register(SharedMetricsCollector(sync_redis.Redis.from_url(settings.redis_url)))
    metrics.registry.register(ComponentHealthCollector(settings))
    app.router.add_post("/webhook/alertmanager", alertmanager_webhook)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_endpoint)
    add_chat_routes(app, settings)
    app.on_cleanup.append(_close)
    return app


async def _close(app: web.Application) -> None:
    await app[REDIS].aclose()
    app[EXECUTOR].shutdown(wait=False)


def authorized(request: web.Request, auth: WebhookAuthSettings) -> bool:
    """Bearer and/or basic auth, compared in constant time; any configured credential admits."""
    if not auth.enabled:
        return True
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if auth.bearer_token and scheme.lower() == "bearer":
        return hmac.compare_digest(value.strip().encode(), auth.bearer_token.get_secret_value().encode())
    if auth.basic_user and scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        expected_password = auth.basic_password.get_secret_value() if auth.basic_password else ""
        user_ok = hmac.compare_digest(user.encode(), auth.basic_user.encode())
        password_ok = hmac.compare_digest(password.encode(), expected_password.encode())
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
    limit = settings.web.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        return _reject(metrics, 413, "too_large", f"body larger than {limit} bytes")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _reject(metrics, 413, "too_large", f"body larger than {limit} bytes")
    try:
        group = parse_alert_group(body)
    except InvalidPayload as exc:
        return _reject(metrics, 400, "invalid", str(exc))

    try:
        queued = await request.app[PUBLISHER].publish_once(
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
    health = await loop.run_in_executor(request.app[EXECUTOR], check_health, request.app[SETTINGS])
    body = {"status": "ready" if health.ready else "unready",
            "broker": "ok" if health.ready else f"unreachable: {health.components[0].detail}",
            "components": {c.name: {"state": c.state, "detail": c.detail} for c in health.components}}
    return web.json_response(body, status=200 if health.ready else 503)


async def metrics_endpoint(request: web.Request) -> web.Response:
    loop = asyncio.get_running_loop()
    payload = await loop.run_in_executor(request.app[EXECUTOR], generate_latest, request.app[METRICS].registry)
    return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})


def run_web(settings: Settings) -> None:
    web.run_app(create_app(settings), host=settings.web.host, port=settings.web.port,
                print=lambda msg: log.info(msg.strip()), access_log=None)
