"""/ceph for a configured cluster that nobody answers for: a clear, degraded card (no cluster needed)."""

from __future__ import annotations

from pathlib import Path

from core.events import Command
from handlers import ceph as ceph_handler
from integrations.ceph.config import CephCluster as ClusterConfig
from integrations.ceph.config import CephDiagnosisSettings
from tests.support.servers import free_port


def _settings(config: CephDiagnosisSettings):
    from bot.config import Settings

    return Settings(ceph=config)


def test_unreachable_cluster_is_a_clear_card(tmp_path: Path) -> None:
    config = CephDiagnosisSettings(clusters={"gone": ClusterConfig(
        transport="dashboard", url=f"http://127.0.0.1:{free_port()}", username="u", password="p", timeout_s=1)})
    card = ceph_handler.handle_command(Command(platform="mattermost", channel="c", name="ceph", text="gone"),
                                       _settings(config))
    assert card.status.value == "degraded" and "127.0.0.1" in card.summary
    assert card.unavailable[0].source == "ceph:gone"
