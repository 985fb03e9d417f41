"""Configuration for OpenSearch log evidence (`opensearch` section of the settings)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


class LogFields(BaseModel):
    """Field names of the log documents (Fluent Bit / Fluentd / Vector layouts differ)."""

    model_config = ConfigDict(extra="forbid")

    timestamp: str = "@timestamp"
    message: str = "message"
    message_keyword: str = Field("message.keyword", description="aggregatable copy of the message")
    level: str = "level"
    namespace: str = "kubernetes.namespace_name"
    pod: str = "kubernetes.pod_name"
    container: str = "kubernetes.container_name"
    workload: str = Field("kubernetes.labels.app", description="label naming the workload, when there is no pod")


class OpenSearchSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field("", description="OpenSearch URL; empty disables")
    username: str | None = None
    password: SecretStr | None = None
    verify_tls: bool = True
    ca_file: str | None = None
    index_pattern: str = "logs-*"
    fields: LogFields = Field(default_factory=LogFields)
    error_levels: list[str] = Field(default_factory=lambda: ["error", "ERROR", "err", "fatal", "FATAL", "critical",
                                                             "CRITICAL", "panic"])
    before_s: int = Field(900, ge=0, description="window start: this long before the alert's startsAt")
    after_s: int = Field(300, ge=0, description="window end: this long after startsAt")
    max_hits: int = Field(20, ge=1, le=500, description="log lines returned")
    max_line_chars: int = Field(400, ge=40, description="each line is cut to this length")
    top_messages: int = Field(5, ge=1, le=50, description="most frequent messages (aggregation buckets)")
    timeout_s: float = Field(2.0, gt=0)
    # /logs: questions in plain words
    search_timeout_s: float = Field(10.0, gt=0, description="/logs: validation and search time limit")
    dashboards_url: str = Field("", description="OpenSearch Dashboards URL; cards link Discover with the query")
    max_query_size: int = Field(100, ge=1, le=10000, description="/logs: most hits a query may ask for")
    default_window_s: int = Field(3600, ge=60, description="/logs: the time range when the question names none")
    timezone: str = Field("UTC", description="/logs: the users' time zone for times such as 10:00 or yesterday")
    mapping_ttl_s: float = Field(300.0, ge=0, description="how long a fetched _mapping is reused")
    aliases: dict[str, list[str]] = Field(
        default_factory=dict, description="kind (status, host, ip, level, service, ...) -> fields to try first")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; expected an IANA name such as Europe/Moscow") from None
        return value

    @property
    def enabled(self) -> bool:
        return bool(self.url)
