"""Component health for /readyz, /metrics and `opsbot status`: each component said, never a crash."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from bot.health import ComponentHealthCollector, RecentHealth, check_health
from tests.support.servers import free_port


def test_everything_down_or_off_is_reported_per_component(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, redis_url=f"redis://127.0.0.1:{free_port()}/0",
                        llm={"url": f"http://127.0.0.1:{free_port()}/v1"},
                        knowledge={"embedded_url": f"http://127.0.0.1:{free_port()}/v1"})
    health = check_health(settings)
    states = {c.name: c.state for c in health.components}
    assert states == {"broker": "down", "llm": "down", "embeddings": "down", "knowledge": "down"}
    assert not health.ready
    assert all(c.detail for c in health.components)


def test_unconfigured_parts_are_off_not_down(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, knowledge={"enabled": False}, llm={"enabled": False})
    states = {c.name: c.state for c in check_health(settings).components}
    assert states["llm"] == states["embeddings"] == states["knowledge"] == "off"


def test_metrics_export_component_up_and_configured(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, redis_url=f"redis://127.0.0.1:{free_port()}/0", llm={"enabled": False})
    families = {f.name: f for f in ComponentHealthCollector(RecentHealth(settings)).collect()}
    up = {s.labels["component"]: s.value for s in families["opsbot_component_up"].samples}
    configured = {s.labels["component"]: s.value for s in families["opsbot_component_configured"].samples}
    assert up["broker"] == 0.0 and configured["broker"] == 1.0 and configured["llm"] == 0.0
