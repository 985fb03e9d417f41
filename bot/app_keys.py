"""What the web app keeps on its aiohttp `Application`, shared by the web module and the chat routes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import redis.asyncio as aioredis
from aiohttp import web

from bot.config import Settings
from bot.enqueue import TaskPublisher
from bot.metrics import WebMetrics

DEDUPE_PREFIX = "opsbot:dedupe:"

SETTINGS: web.AppKey[Settings] = web.AppKey("settings", Settings)
REDIS: web.AppKey[aioredis.Redis] = web.AppKey("redis", aioredis.Redis)
METRICS: web.AppKey[WebMetrics] = web.AppKey("metrics", WebMetrics)
EXECUTOR: web.AppKey[ThreadPoolExecutor] = web.AppKey("executor", ThreadPoolExecutor)
PUBLISHER: web.AppKey[TaskPublisher] = web.AppKey("publisher", TaskPublisher)
