"""Log questions in English and Russian over three log layouts, with what a correct query contains.

Used by tests/contract/test_logs.py (every case must translate correctly with the rules alone, unless marked
`needs_llm`) and by bench/logs_bench.py (share translated correctly, latency). A translation is
checked semantically: the set of filter clauses, the excluded clauses, the time window and the
aggregations, never the JSON text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

NOW = datetime(2026, 11, 22, 13, 0, tzinfo=UTC)

MAPPINGS: dict[str, dict[str, Any]] = {
    # nginx access logs shipped in ECS layout (Filebeat / Data Prepper)
    "nginx": {
        "@timestamp": {"type": "date"},
        "message": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 1024}}},
        "http": {"properties": {"response": {"properties": {"status_code": {"type": "long"},
                                                           "body": {"properties": {"bytes": {"type": "long"}}}}},
                                "request": {"properties": {"method": {"type": "keyword"}}}}},
        "url": {"properties": {"domain": {"type": "keyword"}, "path": {"type": "keyword"}}},
        "client": {"properties": {"ip": {"type": "ip"}}},
        "event": {"properties": {"duration": {"type": "long"}}},
        "service": {"properties": {"name": {"type": "keyword"}}},
        "user_agent": {"properties": {"original": {"type": "keyword"}}},
    },
    # Kubernetes application logs from Fluent Bit's kubernetes filter
    "k8s": {
        "@timestamp": {"type": "date"},
        "log": {"type": "text"},
        "message": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}},
        "level": {"type": "keyword"},
        "stream": {"type": "keyword"},
        "kubernetes": {"properties": {
            "namespace_name": {"type": "keyword"}, "pod_name": {"type": "keyword"},
            "container_name": {"type": "keyword"},
            "labels": {"properties": {"app": {"type": "keyword"}}}}},
    },
    # syslog from rsyslog/Vector: severity and program as keywords, the host that logged
    "syslog": {
        "timestamp": {"type": "date"},
        "message": {"type": "text"},
        "syslog": {"properties": {"hostname": {"type": "keyword"}, "appname": {"type": "keyword"},
                                  "severity": {"type": "keyword"}}},
        "source": {"properties": {"ip": {"type": "ip"}}},
    },
}

Clause = tuple[Any, ...]


class LogCase(BaseModel):
    question: str
    mapping: str
    hours: float = Field(1.0, description="length of the time window")
    ends_now: bool = True
    include: list[list[Any]] = Field(default_factory=list)
    exclude: list[list[Any]] = Field(default_factory=list)
    aggs: list[list[str]] = Field(default_factory=list)
    size: int | None = None
    needs_llm: bool = False


CASES = [
    LogCase(question="покажи ошибки 5xx nginx для api.example.com за последние 3 часа без IP 1.2.3.4", mapping="nginx",
            hours=3, include=[["range", "http.response.status_code", 500, 599],
                              ["term", "url.domain", "api.example.com"], ["term", "service.name", "nginx"]],
            exclude=[["term", "client.ip", "1.2.3.4"]]),
    LogCase(question="nginx 5xx errors for shop.example.com in the last 15 minutes", mapping="nginx", hours=0.25,
            include=[["range", "http.response.status_code", 500, 599], ["term", "url.domain", "shop.example.com"],
                     ["term", "service.name", "nginx"]]),
    LogCase(question="404s on api.example.com over the past 2 hours excluding 10.0.0.0/8", mapping="nginx", hours=2,
            include=[["term", "http.response.status_code", 404], ["term", "url.domain", "api.example.com"]],
            exclude=[["term", "client.ip", "10.0.0.0/8"]]),
    LogCase(question="top 10 client ips with 4xx in the last hour", mapping="nginx",
            include=[["range", "http.response.status_code", 400, 499]], aggs=[["terms", "client.ip"]]),
    LogCase(question="5xx per minute for api.example.com last 30 minutes", mapping="nginx", hours=0.5,
            include=[["range", "http.response.status_code", 500, 599], ["term", "url.domain", "api.example.com"]],
            aggs=[["date_histogram", "@timestamp"]]),
    LogCase(question="p95 of latency for api.example.com in the last 6 hours", mapping="nginx", hours=6,
            include=[["term", "url.domain", "api.example.com"]], aggs=[["percentiles", "event.duration"]]),
    LogCase(question="топ 5 путей с ошибками 500 за последний час", mapping="nginx",
            include=[["term", "http.response.status_code", 500]], aggs=[["terms", "url.path"]]),
    LogCase(question="запросы с 192.168.1.10 за последние 2 дня", mapping="nginx", hours=48,
            include=[["term", "client.ip", "192.168.1.10"]]),
    LogCase(question="errors in namespace shop for the last 30 minutes", mapping="k8s", hours=0.5,
            include=[["terms", "level", "error"], ["term", "kubernetes.namespace_name", "shop"]]),
    LogCase(question="ошибки в namespace payments за последние 2 часа", mapping="k8s", hours=2,
            include=[["terms", "level", "error"], ["term", "kubernetes.namespace_name", "payments"]]),
    LogCase(question='logs of pod checkout-7d9f8b6c5-x2x4z containing "connection refused" last 45 minutes',
            mapping="k8s", hours=0.75,
            include=[["term", "kubernetes.pod_name", "checkout-7d9f8b6c5-x2x4z"],
                     ["match_phrase", "message", "connection refused"]]),
    LogCase(question="warnings from service cart in namespace shop in the last 3 hours", mapping="k8s", hours=3,
            include=[["terms", "level", "warn"], ["term", "kubernetes.labels.app", "cart"],
                     ["term", "kubernetes.namespace_name", "shop"]]),
    LogCase(question="предупреждения сервиса cart за последние 10 минут", mapping="k8s", hours=10 / 60,
            include=[["terms", "level", "warn"], ["term", "kubernetes.labels.app", "cart"]]),
    LogCase(question="top 5 pods by errors in namespace shop last hour", mapping="k8s",
            include=[["terms", "level", "error"], ["term", "kubernetes.namespace_name", "shop"]],
            aggs=[["terms", "kubernetes.pod_name"]]),
    LogCase(question="errors per hour in namespace shop over the last day", mapping="k8s", hours=24,
            include=[["terms", "level", "error"], ["term", "kubernetes.namespace_name", "shop"]],
            aggs=[["date_histogram", "@timestamp"]]),
    LogCase(question="sshd logs from host db-1.example.internal in the last 24 hours", mapping="syslog", hours=24,
            include=[["term", "syslog.appname", "sshd"], ["term", "syslog.hostname", "db-1.example.internal"]]),
    LogCase(question="kernel errors on node-3.example.internal last 2 hours", mapping="syslog", hours=2,
            include=[["term", "syslog.appname", "kernel"], ["term", "syslog.hostname", "node-3.example.internal"],
                     ["terms", "syslog.severity", "err"]]),
    LogCase(question='ошибки cron за последние 6 часов кроме "session opened"', mapping="syslog", hours=6,
            include=[["term", "syslog.appname", "cron"], ["terms", "syslog.severity", "err"]],
            exclude=[["match_phrase", "message", "session opened"]]),
    LogCase(question="failed password attempts from 203.0.113.7 in the last 12 hours", mapping="syslog", hours=12,
            include=[["term", "source.ip", "203.0.113.7"], ["match_phrase", "message", "failed password"]],
            needs_llm=True),
    LogCase(question="slow requests over 2 seconds to api.example.com in the last hour", mapping="nginx",
            include=[["term", "url.domain", "api.example.com"], ["range", "event.duration", 2000000000, None]],
            needs_llm=True),
]


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return int(value) if value.lstrip("-").isdigit() else float(value)
        except ValueError:
            return value
    return value


def _clause(clause: dict[str, Any], time_field: str) -> Clause | None:
    (op, spec), = clause.items()
    if op == "exists":
        return ("exists", spec["field"])
    (name, value), = spec.items()
    if op == "range":
        if name == time_field:
            return None
        return ("range", name, _number(value.get("gte", value.get("gt"))), _number(value.get("lte", value.get("lt"))))
    if op == "terms":
        return ("terms", name, str(value[0]).lower())
    if isinstance(value, dict):
        value = value.get("value", value.get("query"))
    return (op, name, str(value).lower() if isinstance(value, str) else value)


def _expected(items: list[list[Any]]) -> set[Clause]:
    out = set()
    for item in items:
        op, name, *rest = item
        if op == "range":
            out.add(("range", name, *rest))
        else:
            value = rest[0]
            out.add((op, name, str(value).lower() if isinstance(value, str) else value))
    return out


def problems(case: LogCase, dsl: dict[str, Any], time_field: str) -> list[str]:
    """What is wrong with `dsl` as the answer to `case` (empty: correct)."""
    found: list[str] = []
    query = dsl["query"]["bool"]
    window = next(c["range"][time_field] for c in query["filter"] if "range" in c and time_field in c["range"])
    start, end = (datetime.fromisoformat(window[k]) for k in ("gte", "lte"))
    if abs((end - start).total_seconds() - case.hours * 3600) > 60:
        found.append(f"window {(end - start).total_seconds() / 3600:g} h, expected {case.hours:g} h")
    if case.ends_now and abs((end - NOW).total_seconds()) > 60:
        found.append(f"window ends {end.isoformat()}, expected now")
    include = {c for c in (_clause(c, time_field) for c in query["filter"]) if c is not None}
    exclude = {c for c in (_clause(c, time_field) for c in query.get("must_not", [])) if c is not None}
    if include != _expected(case.include):
        found.append(f"filters {sorted(map(str, include))}, expected {sorted(map(str, _expected(case.include)))}")
    if exclude != _expected(case.exclude):
        found.append(f"exclusions {sorted(map(str, exclude))}, expected {sorted(map(str, _expected(case.exclude)))}")
    aggs = sorted([kind, spec["field"]] for agg in dsl.get("aggs", {}).values()
                  for kind, spec in agg.items() if kind != "aggs")
    if aggs != sorted(case.aggs):
        found.append(f"aggregations {aggs}, expected {sorted(case.aggs)}")
    return found


class CannedLLM:
    """Stands in for LLMClient in /logs tests and the benchmark: every `chat` answers `answer`."""

    def __init__(self, answer: str) -> None:
        from integrations.llm.config import LLMSettings

        self.settings = LLMSettings(url="http://127.0.0.1:1/v1")
        self.answer = answer
        self.calls = 0

    def chat(self, messages: Any, **kwargs: Any) -> Any:
        from integrations.llm.types import CallResult

        self.calls += 1
        return CallResult(text=self.answer, model="canned", flavour="vllm")

    def model_for(self, task: str) -> str:
        return "canned"
