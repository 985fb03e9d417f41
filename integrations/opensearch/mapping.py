"""What an index pattern's documents contain: every field with its type, from `GET <pattern>/_mapping`.

The query builder may only use fields that exist, with operators that fit their types; this module
flattens the mapping (object properties and multi-fields such as `message.keyword`) into
field -> type and finds, for each kind of thing a question names (status, host, IP, level, ...),
the field an index really has for it. Mappings are cached per pattern for `opensearch.mapping_ttl_s`.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from pydantic import BaseModel, Field

NUMERIC = {"long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float", "unsigned_long"}
DATE = {"date", "date_nanos"}
EXACT = {"keyword", "constant_keyword", "wildcard"}
AGGREGATABLE = EXACT | NUMERIC | DATE | {"ip", "boolean"}

# Where common log layouts keep each kind of value (ECS, Fluent Bit/Fluentd kubernetes.*, nginx
# exporters, syslog). The first that exists in the mapping wins; `opensearch.aliases` goes first.
CANDIDATES: dict[str, tuple[str, ...]] = {
    "status": ("http.response.status_code", "status", "status_code", "response", "nginx.status", "http_status"),
    "host": ("url.domain", "http.request.host", "host.name", "host", "vhost", "server_name", "hostname",
             "syslog.hostname"),
    "ip": ("client.ip", "source.ip", "client_ip", "remote_addr", "clientip", "ip", "host.ip"),
    "level": ("log.level", "level", "severity", "syslog.severity", "loglevel"),
    "namespace": ("kubernetes.namespace_name", "kubernetes.namespace", "k8s.namespace.name", "namespace"),
    "pod": ("kubernetes.pod_name", "kubernetes.pod.name", "k8s.pod.name", "pod"),
    "container": ("kubernetes.container_name", "kubernetes.container.name", "k8s.container.name", "container"),
    "service": ("service.name", "kubernetes.labels.app", "kubernetes.labels.app_kubernetes_io/name",
                "kubernetes.container_name", "app", "program", "syslog.appname", "process.name", "service"),
    "message": ("message", "log", "msg", "event.original"),
    "time": ("@timestamp", "timestamp", "time"),
    "path": ("url.path", "url.original", "request", "path", "uri"),
    "method": ("http.request.method", "method", "verb"),
    "duration": ("event.duration", "request_time", "duration", "response_time", "upstream_response_time", "took"),
    "bytes": ("http.response.body.bytes", "bytes", "body_bytes_sent", "size"),
    "agent": ("user_agent.original", "agent", "http_user_agent", "user_agent"),
}
# How people name fields in questions ("top 10 client ips", "p95 of latency") -> a kind above.
WORD_KINDS = {"ip": "ip", "ips": "ip", "client ip": "ip", "client ips": "ip", "clients": "ip", "addresses": "ip",
              "host": "host", "hosts": "host", "domain": "host", "domains": "host", "status": "status",
              "statuses": "status", "status codes": "status", "codes": "status", "path": "path", "paths": "path",
              "url": "path", "urls": "path", "uri": "path", "method": "method", "methods": "method",
              "pod": "pod", "pods": "pod", "namespace": "namespace", "namespaces": "namespace",
              "service": "service", "services": "service", "level": "level", "levels": "level",
              "latency": "duration", "duration": "duration", "response time": "duration",
              "request time": "duration", "bytes": "bytes", "size": "bytes", "agents": "agent",
              "user agents": "agent", "messages": "message", "message": "message",
              "время ответа": "duration"}
# Russian field words by stem, whatever the case ending ("путей", "путям", "адресов").
STEM_KINDS = {"ip": "ip", "адрес": "ip", "клиент": "ip", "хост": "host", "домен": "host", "статус": "status",
              "код": "status", "пут": "path", "урл": "path", "метод": "method", "под": "pod", "неймспейс": "namespace",
              "сервис": "service", "приложени": "service", "уров": "level", "задержк": "duration",
              "длительн": "duration", "байт": "bytes", "размер": "bytes", "сообщени": "message"}


class IndexSchema(BaseModel):
    """The fields of one index pattern and where each kind of value lives in it."""

    pattern: str
    fields: dict[str, str] = Field(description="dotted field name -> OpenSearch type")
    aliases: dict[str, list[str]] = Field(default_factory=dict, description="configured kind -> fields, first")

    def type_of(self, name: str) -> str | None:
        return self.fields.get(name)

    def field_for(self, kind: str) -> str | None:
        """The field this index keeps `kind` in, or None when it has none."""
        for name in (*self.aliases.get(kind, ()), *CANDIDATES.get(kind, ())):
            if name in self.fields and self.fields[name] not in ("object", "nested"):
                return name
        return None

    def resolve(self, word: str) -> str | None:
        """A field named in a question: an existing field as written, or a kind it stands for."""
        if word.strip() in self.fields:
            return word.strip()
        word = word.strip().lower()
        if word in self.fields:
            return word
        kind = WORD_KINDS.get(word) or (word if word in CANDIDATES else None) or next(
            (k for stem, k in STEM_KINDS.items() if word.startswith(stem)), None)
        return self.field_for(kind) if kind else None

    def exact(self, name: str) -> str | None:
        """The field itself when terms/aggregations work on it, else its keyword sub-field if any."""
        if self.fields.get(name) in AGGREGATABLE:
            return name
        sub = f"{name}.keyword"
        return sub if self.fields.get(sub) in EXACT else None

    @property
    def time_field(self) -> str | None:
        found = self.field_for("time")
        if found and self.fields[found] in DATE:
            return found
        return next((name for name, kind in self.fields.items() if kind in DATE), None)

    @property
    def message_field(self) -> str | None:
        return self.field_for("message")


def flatten(properties: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Mapping `properties` -> {dotted name: type}, including multi-fields (`message.keyword`)."""
    out: dict[str, str] = {}
    for name, spec in properties.items():
        if not isinstance(spec, dict):
            continue
        full = f"{prefix}{name}"
        if "properties" in spec:
            out[full] = spec.get("type", "object")
            out.update(flatten(spec["properties"], f"{full}."))
            continue
        out[full] = str(spec.get("type", "object"))
        if spec.get("type") == "alias" and "path" in spec:
            out[full] = out.get(str(spec["path"]), "alias")
        for sub, sub_spec in (spec.get("fields") or {}).items():
            if isinstance(sub_spec, dict):
                out[f"{full}.{sub}"] = str(sub_spec.get("type", "keyword"))
    return out


def fields_from_mapping(answer: dict[str, Any]) -> dict[str, str]:
    """Field types from a `_mapping` answer ({index: {"mappings": {"properties": ...}}}), merged over
    every index the pattern matched; a flat {field: type} object (pasted by a user) is taken as is."""
    if answer and all(isinstance(v, str) for v in answer.values()):
        return {str(k): str(v) for k, v in answer.items()}
    merged: dict[str, str] = {}
    for index in answer.values():
        mappings = (index or {}).get("mappings") or {}
        if "properties" not in mappings and len(mappings) == 1:  # pre-7 layouts: {type_name: {properties}}
            mappings = next(iter(mappings.values())) or {}
        for name, kind in flatten(mappings.get("properties") or {}).items():
            merged.setdefault(name, kind)
    return merged


class MappingCache:
    """`_mapping` per index pattern, fetched through opensearch-py and kept for `ttl_s`."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, dict[str, str]]] = {}
        self._lock = threading.Lock()

    def fields(self, client: Any, pattern: str, *, timeout_s: float, ttl_s: float) -> dict[str, str]:
        now = time.monotonic()
        with self._lock:
            cached = self._entries.get(pattern)
        if cached and now - cached[0] < ttl_s:
            return cached[1]
        fields = fields_from_mapping(client.indices.get_mapping(index=pattern, request_timeout=timeout_s))
        with self._lock:
            self._entries[pattern] = (now, fields)
        return fields
