"""Configuration for Prometheus evidence (`prometheus` section of the settings)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class PrometheusSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field("", description="Prometheus (or Thanos/Mimir query) base URL; empty disables")
    bearer_token: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    verify_tls: bool = True
    timeout_s: float = Field(2.0, gt=0, description="each query's time limit")
    lookback_s: int = Field(3600, ge=60, description="range of the 'over the last hour' queries")
    step_s: int = Field(60, ge=1, description="resolution of range queries")
    max_series: int = Field(5, ge=1, description="series summarised per query")
    graphs: bool = Field(True, description="a PNG of the alert's expression over the last hour on the card")

    @property
    def enabled(self) -> bool:
        return bool(self.url)
