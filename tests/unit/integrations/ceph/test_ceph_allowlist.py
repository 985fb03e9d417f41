"""The read-only allowlist: refused commands never reach any transport."""

from __future__ import annotations

import pytest

from integrations.ceph.allowlist import CommandRefused, check_command
from integrations.ceph.config import CephCluster
from integrations.ceph.transports import CliTransport, DashboardTransport, RadosTransport


@pytest.mark.parametrize("command", [
    "osd out 3", "osd down osd.2", "osd lost 3 --yes-i-really-mean-it", "health mute OSD_DOWN", "osd set noout",
    "osd pool delete rbd rbd --yes-i-really-really-mean-it", "pg 2.1 mark_unfound_lost revert", "auth ls",
    "config set mon x 1", "osd pool get rbd size extra", "osd find $(reboot)", "osd find -1", "", "tell osd.1 bench",
    "mgr module enable restful", "crash archive-all", "config dump",
])
def test_refused(command: str) -> None:
    with pytest.raises(CommandRefused):
        check_command(command)


@pytest.mark.parametrize(("command", "mon_json"), [
    ("ceph health detail", {"prefix": "health", "detail": "detail"}),
    ("status --format json", {"prefix": "status"}),
    ("osd df tree", {"prefix": "osd df", "output_method": "tree"}),
    ("osd pool get rbd size", {"prefix": "osd pool get", "pool": "rbd", "var": "size"}),
    ("pg dump_stuck", {"prefix": "pg dump_stuck"}),
    ("crash ls", {"prefix": "crash ls"}),
    ("pg 2.1f query", None),
])
def test_allowed(command: str, mon_json: dict[str, str] | None) -> None:
    assert check_command(command).mon_json == mon_json


def test_cli_transport_refuses_before_running_anything(tmp_path) -> None:
    # a ceph binary that would record any call: it must never run
    marker = tmp_path / "called"
    fake = tmp_path / "ceph"
    fake.write_text(f"#!/bin/sh\ntouch {marker}\n")
    fake.chmod(0o755)
    transport = CliTransport(CephCluster(ceph_binary=str(fake)))
    with pytest.raises(CommandRefused):
        transport.run(check_command("osd out 3"))
    assert not marker.exists()


def test_transports_refuse_what_they_cannot_send_read_only() -> None:
    with pytest.raises(CommandRefused):
        RadosTransport(CephCluster(transport="rados")).run(check_command("pg 2.1 query"))
    dashboard = DashboardTransport(CephCluster(transport="dashboard", url="http://127.0.0.1:9", username="u",
                                               password="p"))
    with pytest.raises(CommandRefused):
        dashboard.run(check_command("osd tree"))
