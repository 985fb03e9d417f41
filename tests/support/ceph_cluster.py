"""A real single-node Ceph cluster for tests: one mon, one mgr, memstore OSDs, all in one temp dir.

No systemd, no disks: every daemon runs in the foreground-less default mode with its pid, socket,
log and data files under `workdir`, on free loopback ports. Bootstrapping takes seconds; `stop()`
ends the daemons by the pids they wrote.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.servers import free_port, require_binary, wait_until

CEPH_BINARIES = ("ceph", "ceph-mon", "ceph-mgr", "ceph-osd", "ceph-authtool", "monmaptool")


@dataclass
class CephCluster:
    workdir: Path
    conf: Path
    keyring: Path
    num_osds: int
    dashboard_url: str | None = None
    dashboard_user: str = "opsbot"
    dashboard_password: str = "opsbot-Test-Pw-1"
    prometheus_port: int | None = None
    pids: dict[str, int] = field(default_factory=dict)

    def ceph(self, *args: str, fmt: str | None = "json", timeout: float = 30, check: bool = True,
             stdin: str | None = None) -> Any:
        """Run the ceph CLI against this cluster (test-side: writes allowed here, not in opsbot)."""
        cmd = ["ceph", "--conf", str(self.conf), *args]
        if fmt:
            cmd += ["--format", fmt]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=stdin)
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
        if fmt == "json" and done.stdout.strip():
            return json.loads(done.stdout)
        return done.stdout

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self.ceph("health", "detail")
        return result

    def codes(self) -> set[str]:
        return set(self.health().get("checks", {}))

    def wait_for(self, predicate: Any, timeout: float = 60, what: str = "ceph state") -> None:
        wait_until(lambda: bool(predicate(self)), timeout=timeout, what=what)

    def osd_pid(self, osd_id: int) -> int:
        return int((self.workdir / "run" / f"osd.{osd_id}.pid").read_text().strip())

    def kill_osd(self, osd_id: int) -> None:
        pid = self.osd_pid(osd_id)
        os.kill(pid, signal.SIGKILL)
        # the mon notices a killed OSD faster when told; `osd down` is what a failure report does
        self.ceph("osd", "down", f"osd.{osd_id}", fmt=None)

    def start_osd(self, osd_id: int) -> None:
        subprocess.run(["ceph-osd", "--conf", str(self.conf), "-i", str(osd_id)], check=True,
                       capture_output=True, timeout=30)

    def stop(self) -> None:
        for pidfile in sorted((self.workdir / "run").glob("*.pid")):
            with contextlib.suppress(ValueError, ProcessLookupError, FileNotFoundError):
                os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
        deadline = time.monotonic() + 3  # throwaway daemons: a short grace, then SIGKILL
        for pidfile in sorted((self.workdir / "run").glob("*.pid")):
            with contextlib.suppress(ValueError, FileNotFoundError):
                pid = int(pidfile.read_text().strip())
                while time.monotonic() < deadline and _alive(pid):
                    time.sleep(0.05)
                if _alive(pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie of ours still "exists"; /proc says whether it is one
    with contextlib.suppress(OSError):
        return " Z " not in Path(f"/proc/{pid}/stat").read_text()
    return True


def _conf(workdir: Path, fsid: str, v2: int, v1: int, num_osds: int) -> str:
    # one CRUSH host per OSD, so that a killed OSD is also a down host (OSD_HOST_DOWN)
    osd_sections = "".join(f"\n[osd.{n}]\ncrush_location = root=default host=node{n}\n" for n in range(num_osds))
    return f"""[global]
fsid = {fsid}
mon_host = [v2:127.0.0.1:{v2},v1:127.0.0.1:{v1}]
public_network = 127.0.0.0/8
ms_bind_ipv6 = false
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
run_dir = {workdir}/run
pid_file = {workdir}/run/$name.pid
admin_socket = {workdir}/run/$name.asok
log_file = {workdir}/log/$name.log
mon_data = {workdir}/mon/$cluster-$id
mgr_data = {workdir}/mgr/$cluster-$id
osd_data = {workdir}/osd/$cluster-$id
osd_objectstore = memstore
memstore_device_bytes = 1073741824
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_warn_on_pool_no_redundancy = false
mon_data_avail_warn = 5
mon_data_avail_crit = 1
auth_allow_insecure_global_id_reclaim = false
osd_heartbeat_grace = 5
mgr_tick_period = 1
mon_health_to_clog = false
mon_mgr_digest_period = 1
mgr_stats_period = 1

[client]
keyring = {workdir}/keyring
{osd_sections}
[mon]
keyring = {workdir}/mon.keyring
"""


def _run(*cmd: str, stdin: str | None = None) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, input=stdin)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def _keygen() -> str:
    return _run("ceph-authtool", "--gen-print-key").strip()


@contextlib.contextmanager
def ceph_cluster(workdir: Path, num_osds: int = 3, *, dashboard: bool = False,
                 prometheus: bool = False) -> Iterator[CephCluster]:
    """Bootstrap a cluster, wait for HEALTH_OK-ish (OSDs up), yield it, stop every daemon."""
    for binary in CEPH_BINARIES:
        require_binary(binary)
    for sub in ("run", "log", "mon", "mgr", "osd"):
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    fsid = str(uuid.uuid4())
    conf = workdir / "ceph.conf"
    conf.write_text(_conf(workdir, fsid, free_port(), free_port(), num_osds))
    text = conf.read_text()
    v2 = int(text.split("[v2:127.0.0.1:")[1].split(",")[0])
    v1 = int(text.split("v1:127.0.0.1:")[1].split("]")[0])
    keyring = workdir / "keyring"
    mon_keyring = workdir / "mon.keyring"
    cluster = CephCluster(workdir=workdir, conf=conf, keyring=keyring, num_osds=num_osds)
    try:
        _run("ceph-authtool", "--create-keyring", str(mon_keyring), "--gen-key", "-n", "mon.", "--cap", "mon",
             "allow *")
        _run("ceph-authtool", "--create-keyring", str(keyring), "--gen-key", "-n", "client.admin",
             "--cap", "mon", "allow *", "--cap", "osd", "allow *", "--cap", "mgr", "allow *", "--cap", "mds",
             "allow *")
        _run("ceph-authtool", str(mon_keyring), "--import-keyring", str(keyring))
        monmap = workdir / "monmap"
        _run("monmaptool", "--create", "--fsid", fsid, "--addv", "a",
             f"[v2:127.0.0.1:{v2},v1:127.0.0.1:{v1}]", str(monmap))
        _run("ceph-mon", "--conf", str(conf), "--mkfs", "-i", "a", "--monmap", str(monmap),
             "--keyring", str(mon_keyring))
        _run("ceph-mon", "--conf", str(conf), "-i", "a")
        mgr_dir = workdir / "mgr" / "ceph-x"
        mgr_dir.mkdir(parents=True, exist_ok=True)
        mgr_key = cluster.ceph("auth", "get-or-create", "mgr.x", "mon", "allow profile mgr", "osd", "allow *",
                               "mds", "allow *", fmt="plain")
        (mgr_dir / "keyring").write_text(mgr_key)
        # restful is on by default and cannot load next to the dashboard in one mgr process
        cluster.ceph("mgr", "module", "disable", "restful", fmt=None)
        if prometheus:
            cluster.prometheus_port = free_port()
            _set_mgr_options(cluster, prometheus={"server_addr": "127.0.0.1",
                                                  "server_port": str(cluster.prometheus_port),
                                                  "scrape_interval": "1"})
            cluster.ceph("mgr", "module", "enable", "prometheus", "--force", fmt=None)
        if dashboard:
            port = free_port()
            cluster.dashboard_url = f"http://127.0.0.1:{port}"
            _set_mgr_options(cluster, dashboard={"ssl": "false", "server_addr": "127.0.0.1",
                                                 "server_port": str(port)})
            cluster.ceph("mgr", "module", "enable", "dashboard", "--force", fmt=None)
        _run("ceph-mgr", "--conf", str(conf), "-i", "x")
        for osd_id in range(num_osds):
            _create_osd(cluster, osd_id)
        cluster.wait_for(lambda c: c.ceph("osd", "stat")["num_up_osds"] == num_osds, what="OSDs up")
        if dashboard:
            cluster.wait_for(lambda c: "dashboard" in c.ceph("mgr", "services"), what="dashboard up")
            cluster.ceph("dashboard", "ac-user-create", cluster.dashboard_user, "-i", "-", "read-only",
                         fmt=None, stdin=cluster.dashboard_password)
        yield cluster
    finally:
        cluster.stop()


def _set_mgr_options(cluster: CephCluster, **modules: dict[str, str]) -> None:
    # --force: the mon does not know a module's options until the mgr has loaded it once
    for module, options in modules.items():
        for key, value in options.items():
            cluster.ceph("config", "set", "mgr", f"mgr/{module}/{key}", value, "--force", fmt=None)


def _create_osd(cluster: CephCluster, osd_id: int) -> None:
    osd_uuid = str(uuid.uuid4())
    secret = _keygen()
    created = cluster.ceph("osd", "new", osd_uuid, "-i", "-", stdin=json.dumps({"cephx_secret": secret}))
    assert int(created["osdid"]) == osd_id, created
    data = cluster.workdir / "osd" / f"ceph-{osd_id}"
    data.mkdir(parents=True, exist_ok=True)
    (data / "keyring").write_text(f"[osd.{osd_id}]\n\tkey = {secret}\n")
    _run("ceph-osd", "--conf", str(cluster.conf), "-i", str(osd_id), "--mkfs", "--osd-uuid", osd_uuid)
    _run("ceph-osd", "--conf", str(cluster.conf), "-i", str(osd_id))


def rados_importable(tmpdir: Path) -> bool:
    """Make Debian's python3-rados importable from the venv for this test session only: a symlink to the
    extension in a temp dir on sys.path (the venv itself is left alone)."""
    import importlib
    import sys
    import sysconfig

    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ""
    source = Path("/usr/lib/python3/dist-packages") / f"rados{suffix}"
    if not source.exists():
        return False
    tmpdir.mkdir(parents=True, exist_ok=True)
    link = tmpdir / source.name
    if not link.exists():
        link.symlink_to(source)
    if str(tmpdir) not in sys.path:
        sys.path.insert(0, str(tmpdir))
    try:
        importlib.import_module("rados")
    except ImportError:
        return False
    return True

