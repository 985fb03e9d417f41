"""Configuration for Kubernetes evidence: the clusters opsbot may read and the collection caps.

Plain pydantic models so `bot.config.Settings` can embed them (`kubernetes` section).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class KubeCluster(BaseModel):
    """How to reach one cluster: a kubeconfig (and context), the in-cluster service account, or a URL + token."""

    model_config = ConfigDict(extra="forbid")

    kubeconfig: str | None = Field(None, description="kubeconfig path (default ~/.kube/config when context is set)")
    context: str | None = Field(None, description="kubeconfig context for this cluster")
    in_cluster: bool = Field(False, description="use the pod's service account (opsbot running in the cluster)")
    host: str | None = Field(None, description="API server URL, with token (no kubeconfig)")
    token: SecretStr | None = Field(None, description="bearer token of a read-only service account")
    ca_file: str | None = None
    verify_tls: bool = True
    aliases: list[str] = Field(default_factory=list, description="other values of the alert's cluster label")

    @model_validator(mode="after")
    def _one_way(self) -> KubeCluster:
        ways = sum((self.in_cluster, self.host is not None, self.kubeconfig is not None or self.context is not None))
        if ways != 1:
            raise ValueError("set exactly one of in_cluster, host (+ token), or kubeconfig/context")
        return self


class KubernetesSettings(BaseModel):
    """The `kubernetes` section of the settings."""

    model_config = ConfigDict(extra="forbid")

    clusters: dict[str, KubeCluster] = Field(default_factory=dict)
    default_cluster: str | None = Field(None, description="for alerts without a cluster label (default: the only one)")
    cluster_label: str = Field("cluster", description="the alert label that names the cluster")
    request_timeout_s: float = Field(2.0, gt=0, description="each API request's time limit")
    log_tail_lines: int = Field(50, ge=1, le=5000, description="log lines per container (current and previous)")
    log_max_bytes: int = Field(16_384, ge=512, description="log bytes per container")
    max_events: int = Field(15, ge=1, description="events shown per object after de-duplication")
    max_workload_pods: int = Field(5, ge=1, description="pods of a workload examined for a workload alert")
    rollout_window_s: int = Field(1800, ge=0, description="a rollout this long before the alert counts as recent")

    @model_validator(mode="after")
    def _default_known(self) -> KubernetesSettings:
        if self.default_cluster and self.default_cluster not in self.clusters:
            raise ValueError(f"default_cluster {self.default_cluster!r} is not one of the clusters")
        return self

    def resolve(self, value: str | None) -> str | None:
        """The configured cluster named by an alert's cluster label (or alias), else the default."""
        if value:
            for name, cluster in self.clusters.items():
                if value == name or value in cluster.aliases:
                    return name
            return None
        if self.default_cluster:
            return self.default_cluster
        return next(iter(self.clusters)) if len(self.clusters) == 1 else None
