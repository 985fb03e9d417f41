"""Configuration models for Ceph diagnosis: named clusters and how to reach each one read-only.

Plain pydantic models so that `bot.config.Settings` can embed them (`ceph` section) while the
integration stays free of the bot's settings.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

Transport = Literal["cli", "rados", "dashboard", "restful"]
DEFAULT_DOCS_URL = "https://docs.ceph.com/en/latest"


class CephCluster(BaseModel):
    """One Ceph cluster opsbot may inspect. Which fields matter depends on `transport`."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key must fail, not be ignored

    transport: Transport = Field("cli", description="cli (ceph --format json), rados (librados mon_command), "
                                 "dashboard (REST API) or restful (mgr restful module)")
    conf: str | None = Field(None, description="ceph.conf path (cli, rados)")
    keyring: str | None = Field(None, description="keyring path (cli, rados); a read-only client is enough")
    client_name: str = Field("client.admin", description="cephx user, e.g. client.opsbot (cli, rados)")
    ceph_binary: str = Field("ceph", description="the ceph CLI (cli)")
    url: str | None = Field(None, description="https://mgr:8443 (dashboard) or https://mgr:8003 (restful)")
    username: str | None = Field(None, description="Dashboard user (a read-only role is enough) or restful key name")
    password: SecretStr | None = Field(None, description="Dashboard password or restful API key")
    tls_verify: bool = Field(True, description="verify the server certificate (dashboard, restful)")
    tls_ca_file: str | None = None
    timeout_s: float = Field(10.0, gt=0, description="per-request timeout")
    aliases: list[str] = Field(default_factory=list,
                               description="values alert labels use for this cluster (cluster, fsid, job, instance)")

    @model_validator(mode="after")
    def _needs(self) -> CephCluster:
        if self.transport in ("dashboard", "restful"):
            if not self.url:
                raise ValueError(f"transport {self.transport} needs url")
            if not self.username or self.password is None:
                raise ValueError(f"transport {self.transport} needs username and password")
        return self


class CephDiagnosisSettings(BaseModel):
    """The `ceph` section of the settings."""

    model_config = ConfigDict(extra="forbid")

    clusters: dict[str, CephCluster] = Field(default_factory=dict)
    default_cluster: str | None = Field(None, description="what a bare `/ceph` diagnoses (default: the only one)")
    docs_url: str = Field(DEFAULT_DOCS_URL, description="Ceph documentation root for links, e.g. .../en/pacific")
    max_detail_lines: int = Field(10, ge=1, description="detail lines shown per check before '... and N more'")

    @model_validator(mode="after")
    def _default_known(self) -> CephDiagnosisSettings:
        if self.default_cluster and self.default_cluster not in self.clusters:
            raise ValueError(f"default_cluster {self.default_cluster!r} is not one of the clusters")
        return self

    @property
    def default(self) -> str | None:
        if self.default_cluster:
            return self.default_cluster
        return next(iter(self.clusters)) if len(self.clusters) == 1 else None
