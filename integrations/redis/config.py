"""Configuration models for Redis diagnosis: named instances and the analyzer's thresholds.

Plain pydantic models so that `bot.config.Settings` can embed them and the integration stays free
of the bot's settings.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator


class RedisInstance(BaseModel):
    """One Redis server opsbot may inspect (read-only)."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key (pasword:) must fail, not be ignored

    url: str = Field(description="redis://host:port/db, rediss:// for TLS, or unix:///path.sock")
    username: str | None = Field(None, description="ACL user (a read-only user is enough)")
    password: SecretStr | None = None
    tls: bool = Field(False, description="force TLS even for a redis:// URL")
    tls_ca_file: str | None = None
    tls_cert_file: str | None = Field(None, description="client certificate for mutual TLS")
    tls_key_file: str | None = None
    tls_verify: bool = Field(True, description="verify the server certificate and host name")
    timeout_s: float = Field(2.0, gt=0, description="connect and per-command timeout")
    aliases: list[str] = Field(
        default_factory=list,
        description="other values alert labels use for this instance (exporter target, host:port, service)",
    )

    @field_validator("url")
    @classmethod
    def _scheme(cls, value: str) -> str:
        if urlsplit(value).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("expected a redis://, rediss:// or unix:// URL")
        return value

    @model_validator(mode="after")
    def _secret_out_of_url(self) -> RedisInstance:
        """A password written into the URL moves to `password`, so that it is masked wherever shown."""
        parts = urlsplit(self.url)
        if parts.password is not None:
            if self.password is None:
                self.password = SecretStr(unquote(parts.password))
            if self.username is None and parts.username:
                self.username = unquote(parts.username)
            self.url = strip_credentials(self.url)
        return self

    @property
    def address(self) -> str:
        """host:port (or the socket path), used to match alert labels."""
        parts = urlsplit(self.url)
        if parts.scheme == "unix":
            return parts.path
        return f"{parts.hostname or 'localhost'}:{parts.port or 6379}"

    @property
    def cli_options(self) -> str:
        """redis-cli's connection options for this instance (no credentials: the operator adds them)."""
        parts = urlsplit(self.url)
        host = f"-h {parts.hostname or 'HOST'} -p {parts.port or 6379}"
        where = f"-s {parts.path}" if parts.scheme == "unix" else host
        return where + (" --tls" if self.tls or parts.scheme == "rediss" else "")


def strip_credentials(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def redact_url(url: str) -> str:
    """The URL without its password, for cards and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class RedisThresholds(BaseModel):
    """When a measurement becomes a finding. Defaults suit a production instance."""

    model_config = ConfigDict(extra="forbid")

    slow_commands_min_entries: int = Field(3, ge=1, description="O(N) slow-log entries before SLOW_COMMANDS")
    slow_commands_share: float = Field(0.5, gt=0, le=1,
                                       description="share of the slow log's time spent in O(N) commands")
    slow_command_us: int = Field(100_000, ge=0, description="one O(N) command this slow is a finding on its own")
    big_key_min_us: int = Field(10_000, ge=0, description="a whole-key read/delete this slow means a big key")
    fragmentation_ratio: float = Field(1.5, gt=1, description="mem_fragmentation_ratio worth a look")
    allocator_frag_ratio: float = Field(1.4, gt=1, description="allocator_frag_ratio that is real fragmentation")
    fragmentation_min_bytes: int = Field(100 * 1024 * 1024, ge=0, description="ignore smaller waste")
    fragmentation_tiny_bytes: int = Field(64 * 1024 * 1024, ge=0,
                                          description="below this used_memory a high ratio means nothing")
    peak_ratio: float = Field(1.5, gt=1, description="used_memory_peak / used_memory that explains a high RSS")
    swap_rss_ratio: float = Field(0.9, gt=0, le=1, description="RSS below this share of used memory means swap")
    swap_min_used_bytes: int = Field(64 * 1024 * 1024, ge=0, description="too small an instance to judge swap")
    maxmemory_near_ratio: float = Field(0.9, gt=0, le=1)
    no_maxmemory_host_ratio: float = Field(0.75, gt=0, le=1, description="dataset share of the host's RAM without "
                                           "an effective maxmemory (a fork for a save needs the rest)")
    blocked_clients: int = Field(1, ge=1, description="blocked clients worth reporting")
    blocked_share: float = Field(0.5, gt=0, le=1, description="... when at least this share of the clients")
    blocked_clients_many: int = Field(100, ge=1, description="... or at least this many")
    maxclients_ratio: float = Field(0.95, gt=0, le=1, description="connected/maxclients that counts as reached")
    fork_usec: int = Field(100_000, ge=0, description="latest_fork_usec (or LATENCY fork event) worth a finding")
    fork_ms_per_gb: float = Field(50.0, ge=0, description="and slow for its size: fork ms per GB of RSS (the latency "
                                  "doc measures 10-13 on hardware and VMware)")
    fork_stall_usec: int = Field(1_000_000, ge=0, description="a fork this long is a finding whatever its size: "
                                 "every client sees a second-long pause as an outage")
    aof_delayed_fsync: int = Field(1, ge=1, description="delayed fsyncs (in the window, or total) worth a finding")
    replica_lag_s: int = Field(10, ge=0, description="seconds since a replica's last ack")
    replica_lag_bytes: int = Field(10 * 1024 * 1024, ge=0, description="replication offset gap")
    full_sync_excess: int = Field(3, ge=1, description="full syncs beyond one per replica")
    full_syncs_per_day: float = Field(1.0, ge=0, description="... and at least this many a day of uptime")
    expire_cycle_ms: int = Field(100, ge=0, description="LATENCY expire-cycle event worth a finding")


class RedisDiagnosisSettings(BaseModel):
    """Named instances and how to diagnose them (the `redis_diagnosis` section of the settings)."""

    model_config = ConfigDict(extra="forbid")

    instances: dict[str, RedisInstance] = Field(default_factory=dict)
    sample_interval_s: float = Field(3.0, ge=0, description="gap between the two INFO samples")
    triage_sample_interval_s: float = Field(0.5, ge=0, description="the same inside an alert's time budget")
    slowlog_entries: int = Field(128, ge=1, le=1024, description="SLOWLOG GET count")
    thresholds: RedisThresholds = Field(default_factory=RedisThresholds)
