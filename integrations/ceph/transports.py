"""The four ways to read a cluster, all behind one small interface and the same allowlist.

Every transport's `run` takes an `AllowedCommand` (only `check_command` makes one), so a command
that is not on the allowlist cannot reach a cluster whichever way it is connected.
"""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any, Protocol

import httpx

from integrations.ceph.allowlist import AllowedCommand, CommandRefused, check_command
from integrations.ceph.config import CephCluster
from integrations.ceph.models import CephSnapshot, ClusterContext, HealthReport
from integrations.ceph.parsers import parse_health_json, parse_status_json

DASHBOARD_ACCEPT = "application/vnd.ceph.api.v1.0+json"


class CephUnavailable(ConnectionError):
    """The cluster could not be read (unreachable, auth refused, timeout, bad answer)."""


class Transport(Protocol):
    name: str

    def run(self, command: AllowedCommand) -> Any: ...

    def health_and_context(self) -> tuple[HealthReport, ClusterContext | None]: ...


class _MonJson:
    """Shared by transports that speak mon commands: health detail plus `ceph -s` context."""

    def run(self, command: AllowedCommand) -> Any:
        raise NotImplementedError

    def health_and_context(self) -> tuple[HealthReport, ClusterContext | None]:
        health = parse_health_json(self.run(check_command("health detail")))
        _, context = parse_status_json(self.run(check_command("status")))
        return health, context


class CliTransport(_MonJson):
    """`ceph <words> --format json` with the configured conf, keyring and cephx user."""

    name = "cli"

    def __init__(self, cluster: CephCluster) -> None:
        self.cluster = cluster

    def run(self, command: AllowedCommand) -> Any:
        argv = [self.cluster.ceph_binary]
        if self.cluster.conf:
            argv += ["--conf", self.cluster.conf]
        if self.cluster.keyring:
            argv += ["--keyring", self.cluster.keyring]
        argv += ["--name", self.cluster.client_name, "--connect-timeout", str(max(1, int(self.cluster.timeout_s))),
                 *command.words, "--format", "json"]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=self.cluster.timeout_s + 5)
        except FileNotFoundError:
            raise CephUnavailable(f"{self.cluster.ceph_binary}: not found (install ceph-common)") from None
        except subprocess.TimeoutExpired:
            raise CephUnavailable(f"`ceph {command.text}` gave no answer within {self.cluster.timeout_s:g} s") from None
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
            raise CephUnavailable(f"`ceph {command.text}` failed: {reason}")
        return _json(done.stdout, command)


class RadosTransport(_MonJson):
    """librados `mon_command` (python3-rados); the connection is opened once and reused."""

    name = "rados"

    def __init__(self, cluster: CephCluster) -> None:
        self.cluster = cluster
        self._handle: Any = None

    def _connect(self) -> Any:
        if self._handle is not None:
            return self._handle
        try:
            import rados
        except ImportError:
            raise CephUnavailable("transport rados needs the rados module (Debian: python3-rados)") from None
        conf = {"keyring": self.cluster.keyring} if self.cluster.keyring else {}
        timeout = str(int(self.cluster.timeout_s))
        conf.update({"client_mount_timeout": timeout, "rados_mon_op_timeout": timeout})
        try:
            handle = rados.Rados(conffile=self.cluster.conf or "", name=self.cluster.client_name, conf=conf)
            handle.connect(timeout=int(self.cluster.timeout_s))
        except rados.Error as exc:
            raise CephUnavailable(f"librados: {exc}") from None
        self._handle = handle
        return handle

    def run(self, command: AllowedCommand) -> Any:
        if command.mon_json is None:
            raise CommandRefused(f"`ceph {command.text}` is not a mon command; use the cli transport")
        handle = self._connect()
        ret, out, err = handle.mon_command(json.dumps({**command.mon_json, "format": "json"}), b"",
                                           timeout=int(self.cluster.timeout_s))
        if ret != 0:
            raise CephUnavailable(f"`ceph {command.text}` failed ({ret}): {err}")
        return _json(out.decode(), command)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.shutdown()
            self._handle = None


class _Http:
    def __init__(self, cluster: CephCluster) -> None:
        self.cluster = cluster
        verify: bool | str = cluster.tls_ca_file or cluster.tls_verify
        self.http = httpx.Client(base_url=str(cluster.url).rstrip("/"), verify=verify, timeout=cluster.timeout_s)

    def close(self) -> None:
        self.http.close()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise CephUnavailable(f"{self.cluster.url}: {type(exc).__name__}: {exc}") from None
        if response.status_code in (401, 403):
            raise CephUnavailable(f"{self.cluster.url}{path}: HTTP {response.status_code} (check username/password)")
        if response.status_code >= 400:
            raise CephUnavailable(f"{self.cluster.url}{path}: HTTP {response.status_code}: {response.text[:200]}")
        return response


class DashboardTransport(_Http):
    """The Dashboard REST API: a JWT from POST /api/auth, then GET /api/health/minimal.

    The Dashboard has no generic command endpoint, so only the health snapshot is read here; other
    allowlisted commands are refused rather than mapped to write-capable endpoints.
    """

    name = "dashboard"

    def __init__(self, cluster: CephCluster) -> None:
        super().__init__(cluster)
        self._token: str | None = None

    def _auth(self) -> str:
        if self._token is None:
            password = self.cluster.password.get_secret_value() if self.cluster.password else ""
            response = self._send("POST", "/api/auth", headers={"Accept": DASHBOARD_ACCEPT},
                                  json={"username": self.cluster.username, "password": password})
            self._token = str(response.json()["token"])
        return self._token

    def _get(self, path: str) -> Any:
        headers = {"Accept": DASHBOARD_ACCEPT, "Authorization": f"Bearer {self._auth()}"}
        response = self._send("GET", path, headers=headers)
        return response.json()

    def run(self, command: AllowedCommand) -> Any:
        if command.pattern in ("health", "health detail"):
            return self._get("/api/health/minimal")["health"]
        raise CommandRefused(f"`ceph {command.text}` is not available through the Dashboard transport")

    def health_and_context(self) -> tuple[HealthReport, ClusterContext | None]:
        doc = self._get("/api/health/minimal")
        return parse_health_json(doc["health"]), dashboard_context(doc)


def dashboard_context(doc: dict[str, Any]) -> ClusterContext:
    """`ceph -s`-like numbers from the Dashboard's /api/health/minimal."""
    osds = (doc.get("osd_map") or {}).get("osds") or []
    pg_info = doc.get("pg_info") or {}
    stats = pg_info.get("object_stats") or {}
    perf = doc.get("client_perf") or {}
    quorum = (doc.get("mon_status") or {}).get("quorum") or []
    ctx = ClusterContext(
        osds=len(osds), osds_up=sum(1 for o in osds if o.get("up")), osds_in=sum(1 for o in osds if o.get("in")),
        mons=len(((doc.get("mon_status") or {}).get("monmap") or {}).get("mons") or []) or None,
        quorum=[str(q) for q in quorum], mgr_active=(doc.get("mgr_map") or {}).get("active_name"),
        pools=len(doc.get("pools") or []),
        pg_states={str(k): int(v) for k, v in (pg_info.get("statuses") or {}).items()},
    )
    ctx.pgs = sum(ctx.pg_states.values()) or None
    copies = stats.get("num_object_copies") or 0
    for kind in ("degraded", "misplaced", "unfound"):
        count = stats.get(f"num_objects_{kind}")
        if count:
            setattr(ctx, kind, f"{count}/{copies} objects {kind}" if copies else f"{count} objects {kind}")
    if perf.get("recovering_bytes_per_sec"):
        ctx.recovery = f"{perf['recovering_bytes_per_sec']} B/s"
    io = [f"{perf[k]} {label}" for k, label in (("read_bytes_sec", "B/s rd"), ("write_bytes_sec", "B/s wr"),
                                                 ("read_op_per_sec", "op/s rd"), ("write_op_per_sec", "op/s wr"))
          if perf.get(k)]
    ctx.client_io = ", ".join(io) or None
    return ctx


class RestfulTransport(_Http, _MonJson):
    """The mgr `restful` module: POST /request?wait=1 with the mon command JSON, basic auth (key name, key)."""

    name = "restful"

    def run(self, command: AllowedCommand) -> Any:
        if command.mon_json is None:
            raise CommandRefused(f"`ceph {command.text}` is not a mon command; use the cli transport")
        password = self.cluster.password.get_secret_value() if self.cluster.password else ""
        response = self._send("POST", "/request", params={"wait": "1"}, auth=(self.cluster.username or "", password),
                              json={**command.mon_json, "format": "json"})
        body = response.json()
        if body.get("has_failed") or body.get("failed"):
            failed = (body.get("failed") or [{}])[0]
            raise CephUnavailable(f"`ceph {command.text}` failed: {failed.get('outs') or body.get('state')}")
        finished = body.get("finished") or []
        if not finished:
            raise CephUnavailable(f"`ceph {command.text}`: the restful module returned no result")
        return _json(finished[0].get("outb") or "", command)


def _json(text: str, command: AllowedCommand) -> Any:
    try:
        return json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:
        raise CephUnavailable(f"`ceph {command.text}` did not return JSON: {text[:120]!r}") from None


def make_transport(cluster: CephCluster) -> Transport:
    transports: dict[str, type] = {"cli": CliTransport, "rados": RadosTransport, "dashboard": DashboardTransport,
                                   "restful": RestfulTransport}
    transport: Transport = transports[cluster.transport](cluster)
    return transport


def collect(cluster: CephCluster, *, name: str) -> CephSnapshot:
    """Read health detail and status from a configured cluster (read-only)."""
    started = time.monotonic()
    transport = make_transport(cluster)
    try:
        health, context = transport.health_and_context()
    finally:
        close = getattr(transport, "close", None)
        if close is not None:
            close()
    return CephSnapshot(source="live", cluster=name, transport=transport.name, health=health, context=context,
                        took_ms=(time.monotonic() - started) * 1000)
