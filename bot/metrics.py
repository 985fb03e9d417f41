"""Prometheus metrics.

The web process counts its own requests with ordinary prometheus-client metrics. Workers are other
processes, often on other hosts, so what they measure (tasks by state, webhook-to-first-card
latency, chat API errors) is kept in Redis hashes and read by a custom collector when /metrics is
scraped: every web replica shows the same totals and no worker needs a port of its own.
(prometheus-client's multiprocess mode only works for processes sharing one host directory.)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import cast

import redis
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

SHARED_PREFIX = "opsbot:metrics:"
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class WebMetrics:
    """Metrics the web process owns, in a registry of its own (tests build many apps)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.webhook_requests = Counter(
            "opsbot_webhook_requests", "Alertmanager webhook requests by outcome",
            ["outcome"], registry=self.registry,
        )
        self.enqueue_seconds = Histogram(
            "opsbot_enqueue_seconds", "Time to validate, dedupe and enqueue one webhook",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25), registry=self.registry,
        )
        self.chat_requests = Counter(
            "opsbot_chat_requests", "Inbound chat platform requests by platform and outcome",
            ["platform", "outcome"], registry=self.registry,
        )


# What workers record: name -> (kind, help, label names)
SHARED_METRICS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "opsbot_tasks": ("counter", "Celery tasks by name and state", ("task", "state")),
    "opsbot_chat_api_errors": ("counter", "Chat API errors by platform and kind", ("platform", "kind")),
    "opsbot_cards": ("counter", "Cards posted or updated by platform and action", ("platform", "action")),
    "opsbot_webhook_to_first_card_seconds": (
        "histogram", "From webhook receipt to the first card posted", ("platform",),
    ),
    # LLM (integrations.llm.client, handlers.llm.explain); tokens/s = rate(completion tokens) / rate(decode seconds)
    "opsbot_llm_requests": ("counter", "LLM calls by task kind and outcome", ("task", "outcome")),
    "opsbot_llm_request_seconds": ("histogram", "LLM call duration (answers only)", ("task",)),
    "opsbot_llm_time_to_first_token_seconds": ("histogram", "LLM time to first streamed token", ("task",)),
    "opsbot_llm_prompt_tokens": ("counter", "Prompt tokens sent to the LLM", ("task",)),
    "opsbot_llm_completion_tokens": ("counter", "Completion tokens received from the LLM", ("task",)),
    "opsbot_llm_decode_seconds": ("counter", "Seconds the LLM spent decoding after the first token", ("task",)),
    "opsbot_llm_explanations": ("counter", "Card explanations by card kind and status", ("kind", "status")),
    # Storms, budgets and feedback (bot.storms, bot.feedback_votes)
    "opsbot_storm_digests": ("counter", "Storm digest events (started, joined, folded, wrapped_up)", ("event",)),
    "opsbot_budget_held": ("counter", "What a budget held back (post, llm)", ("budget",)),
    "opsbot_feedback_votes": ("counter", "Feedback votes on cards by platform, vote and outcome",
                              ("platform", "vote", "outcome")),
}


class SharedMetrics:
    """Counters and histograms stored in Redis so any process can add and any web replica can read."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    def inc(self, name: str, labels: Sequence[str], amount: float = 1.0) -> None:
        self.redis.hincrbyfloat(SHARED_PREFIX + name, json.dumps(list(labels)), amount)

    def observe(self, name: str, labels: Sequence[str], value: float) -> None:
        bucket = next((str(b) for b in LATENCY_BUCKETS if value <= b), "+Inf")
        label_key = json.dumps(list(labels))
        pipe = self.redis.pipeline(transaction=False)
        pipe.hincrby(SHARED_PREFIX + name, f"{label_key}|bucket|{bucket}", 1)
        pipe.hincrby(SHARED_PREFIX + name, f"{label_key}|count", 1)
        pipe.hincrbyfloat(SHARED_PREFIX + name, f"{label_key}|sum", value)
        pipe.execute()


class SharedMetricsCollector(Collector):
    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    def collect(self) -> Iterable[Metric]:
        for name, (kind, doc, label_names) in SHARED_METRICS.items():
            try:
                raw = cast("dict[bytes, bytes]", self.redis.hgetall(SHARED_PREFIX + name))
            except redis.RedisError:
                return
            values = {k.decode(): float(v) for k, v in raw.items()}
            if kind == "counter":
                counter = CounterMetricFamily(name, doc, labels=list(label_names))
                for key, value in values.items():
                    counter.add_metric(json.loads(key), value)
                yield counter
            else:
                yield _histogram(name, doc, label_names, values)


def _histogram(name: str, doc: str, label_names: tuple[str, ...], values: dict[str, float]) -> Metric:
    family = HistogramMetricFamily(name, doc, labels=list(label_names))
    series: dict[str, dict[str, float]] = {}
    for key, value in values.items():
        label_key, _, rest = key.partition("|")
        series.setdefault(label_key, {})[rest] = value
    for label_key, parts in series.items():
        cumulative = 0.0
        buckets = []
        for bound in [*map(str, LATENCY_BUCKETS), "+Inf"]:
            cumulative += parts.get(f"bucket|{bound}", 0.0)
            buckets.append((bound, cumulative))
        family.add_metric(json.loads(label_key), buckets, parts.get("sum", 0.0))
    return family
