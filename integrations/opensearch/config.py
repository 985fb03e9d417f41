"""Configuration for OpenSearch log evidence (`opensearch` section of the settings)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


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

    @property
    def enabled(self) -> bool:
        return bool(self.url)
