"""Component health: the broker, the LLM server, the embedding server and the knowledge index.

One set of checks, each bounded by a short timeout, used by `/readyz`, `/metrics`
(`opsbot_component_up`) and `opsbot status`. Cards flow as long as the broker answers; every
other component being down costs a line on the card, never the card.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Literal

import httpx
import redis
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import BaseModel

from bot.config import Settings

CHECK_TIMEOUT_S = 1.5
State = Literal["ok", "down", "off"]


class ComponentHealth(BaseModel):
    name: str
    state: State  # off: not configured or disabled (nothing is wrong)
    detail: str = ""
    took_ms: float = 0.0

    @property
    def up(self) -> bool:
        return self.state == "ok"


class Health(BaseModel):
    ready: bool  # the broker answers: alerts are accepted and cards delivered
    components: list[ComponentHealth]


def _timed(name: str, check: Callable[[], tuple[State, str]]) -> ComponentHealth:
    started = time.perf_counter()
    try:
        state, detail = check()
    except Exception as exc:  # a check must never take the endpoint down with it
        state, detail = "down", f"{type(exc).__name__}: {exc}"[:300]
    took_ms = round((time.perf_counter() - started) * 1000, 1)
    return ComponentHealth(name=name, state=state, detail=detail, took_ms=took_ms)


def _broker(settings: Settings) -> tuple[State, str]:
    if not settings.redis_url:
        return "down", "OPSBOT_REDIS_URL is not set"
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=CHECK_TIMEOUT_S,
                                  socket_connect_timeout=CHECK_TIMEOUT_S)
    try:
        client.ping()
    finally:
        client.close()
    return "ok", settings.redis_url.split("@")[-1]


def _llm(settings: Settings) -> tuple[State, str]:
    # A bare GET, not integrations.llm.client: that imports LangChain, which the web process avoids.
    llm = settings.llm
    if not llm.configured:
        return "off", "disabled" if not llm.enabled else "no LLM server configured"
    response = httpx.get(f"{llm.url.rstrip('/')}/models", timeout=CHECK_TIMEOUT_S,
                         headers={"Authorization": f"Bearer {llm.api_key.get_secret_value()}"} if llm.api_key else {})
    if response.status_code != 200:
        return "down", f"{llm.url}: HTTP {response.status_code}"
    models = [str(m.get("id", "")) for m in response.json().get("data", []) if isinstance(m, dict)]
    return "ok", f"{llm.url} ({', '.join(models[:3]) or 'no models listed'})"


def _embeddings(settings: Settings) -> tuple[State, str]:
    url = settings.knowledge.embedded_url
    if not settings.knowledge.enabled or not url:
        return "off", "each process loads the model itself" if settings.knowledge.enabled else "knowledge disabled"
    response = httpx.get(f"{url.rstrip('/').removesuffix('/v1')}/health", timeout=CHECK_TIMEOUT_S)
    return ("ok", url) if response.status_code == 200 else ("down", f"{url}: HTTP {response.status_code}")


def _knowledge(settings: Settings) -> tuple[State, str]:
    if not settings.knowledge.enabled:
        return "off", "disabled"
    from knowledge.service import index_exists  # here: the web process stays lean

    if index_exists(settings):
        return "ok", f"{settings.knowledge.store} index"
    return "down", "nothing indexed yet (opsbot knowledge sync)"


CHECKS = {"broker": _broker, "llm": _llm, "embeddings": _embeddings, "knowledge": _knowledge}


class RecentHealth:
    """`check_health`, reused for a few seconds: /readyz is probed and /metrics scraped often, and each
    check is network I/O to the broker, the LLM and the embedding server. One per web app."""

    def __init__(self, settings: Settings, max_age_s: float = 5.0) -> None:
        self.settings = settings
        self.max_age_s = max_age_s
        self._last: tuple[float, Health] | None = None
        self._lock = threading.Lock()

    def get(self) -> Health:
        with self._lock:
            if self._last is not None and time.monotonic() - self._last[0] < self.max_age_s:
                return self._last[1]
        health = check_health(self.settings)
        with self._lock:
            self._last = (time.monotonic(), health)
        return health


def check_health(settings: Settings) -> Health:
    """Every component at once (in parallel, each within CHECK_TIMEOUT_S)."""
    with ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="health") as pool:
        futures = [pool.submit(_timed, name, partial(check, settings)) for name, check in CHECKS.items()]
        components = [f.result() for f in futures]
    return Health(ready=components[0].up, components=components)


class ComponentHealthCollector(Collector):
    """`opsbot_component_up{component=...}` (1 up, 0 down or off) and `opsbot_component_configured`,
    checked when /metrics is scraped."""

    def __init__(self, health: RecentHealth) -> None:
        self.health = health

    def collect(self) -> Iterable[Metric]:
        health = self.health.get()
        up = GaugeMetricFamily("opsbot_component_up", "1 when the component answers its health check",
                               labels=["component"])
        configured = GaugeMetricFamily("opsbot_component_configured", "1 when the component is configured",
                                       labels=["component"])
        for component in health.components:
            up.add_metric([component.name], 1.0 if component.up else 0.0)
            configured.add_metric([component.name], 0.0 if component.state == "off" else 1.0)
        yield up
        yield configured
