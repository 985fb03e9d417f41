"""Live diagnosis against real redis-server processes driven into each state."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from integrations.redis.analyzer import analyze
from integrations.redis.client import RedisUnavailable
from integrations.redis.collector import collect
from integrations.redis.config import RedisInstance, RedisThresholds
from integrations.redis.models import Diagnosis, RedisFinding
from tests.support.redis_states import (
    blocked_clients,
    client_of,
    fill_hash,
    info,
    instance_of,
    make_tls_files,
    paused,
    primary_with_replica,
    running,
    server_in,
    try_connect,
)
from tests.support.servers import Proc, free_port, require_binary, wait_until

INTERVAL = 0.2
# Thresholds low enough for a small test dataset on any machine; the logic under test is the same.
TEST_THRESHOLDS = RedisThresholds(big_key_min_us=2_000, replica_lag_bytes=50_000, slow_command_us=2_000)


def diagnose(server: Proc, symptom: str = "", thresholds: RedisThresholds = TEST_THRESHOLDS) -> Diagnosis:
    return analyze(collect(instance_of(server), name="test", interval_s=INTERVAL), thresholds, symptom)


def retry_unavailable(attempt: Callable[[], Diagnosis], tries: int = 40) -> Diagnosis:
    for _ in range(tries - 1):
        try:
            return attempt()
        except RedisUnavailable:
            time.sleep(0.05)
    return attempt()


def finding(diagnosis: Diagnosis, code: str) -> RedisFinding:
    found = {f.code: f for f in diagnosis.findings}
    assert code in found, f"{code} not in {list(found)}"
    return found[code]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("redis-live")


@pytest.fixture(scope="module")
def slow_server(workdir: Path) -> Iterator[Proc]:
    """KEYS over a big keyspace and whole reads/deletes of big collections in the slow log."""
    with server_in(workdir, "slow", "--slowlog-log-slower-than", "1000", "--enable-debug-command", "yes") as server:
        client = client_of(server)
        client.execute_command("DEBUG", "POPULATE", 200_000)
        fill_hash(client, "big:hash", 100_000)
        client.sadd("big:set", *[f"m{i}" for i in range(100_000)])
        client.rpush("big:list", *[f"e{i}" for i in range(100_000)])
        client.slowlog_reset()
        client.keys("key:1*")
        client.hgetall("big:hash")
        client.smembers("big:set")
        client.lrange("big:list", 0, -1)
        client.smembers("big:set")
        client.delete("big:hash")
        client.sort("big:list", alpha=True, store="sorted")  # computation, not one key's size: SLOW_COMMANDS
        client.sunionstore("union", ["big:set", "big:list:members"])
        client.close()
        yield server


def test_healthy_server_has_no_findings_and_two_samples(workdir: Path) -> None:
    with server_in(workdir, "healthy") as server:
        snapshot = collect(instance_of(server), name="healthy", interval_s=INTERVAL)
        assert snapshot.info_later and snapshot.interval_s >= INTERVAL
        assert snapshot.errors == {}
        assert snapshot.config["maxmemory-policy"] == "noeviction" and snapshot.role[0] == "master"
        assert analyze(snapshot).findings == []


def test_keys_and_slow_commands_and_big_keys(slow_server: Proc) -> None:
    diagnosis = diagnose(slow_server, symptom="the API is slow")
    assert diagnosis.primary is not None and diagnosis.primary.code == "KEYS_IN_SLOWLOG"
    assert finding(diagnosis, "KEYS_IN_SLOWLOG").evidence["patterns"] == ["KEYS key:1*"]
    slow = finding(diagnosis, "SLOW_COMMANDS")  # each entry counts once: whole-key reads are BIG_KEYS only
    assert set(slow.evidence["by_command"]) <= {"SORT", "SUNIONSTORE"} and "SORT" in slow.evidence["by_command"]
    big = finding(diagnosis, "BIG_KEYS").evidence["keys"]
    assert {"big:set", "big:list", "big:hash"} <= set(big)
    assert all(f.explains_symptom for f in diagnosis.findings[:3])


def test_client_list_is_summarised_without_addresses(slow_server: Proc) -> None:
    with blocked_clients(slow_server, 2):
        snapshot = collect(instance_of(slow_server), interval_s=0)
    assert snapshot.clients is not None and snapshot.clients.total == 3
    assert analyze(snapshot).facts["client idle"] == "<1m: 3"
    assert snapshot.clients.by_flag.get("b") == 2 and snapshot.clients.by_command.get("blpop") == 2
    assert "127.0.0.1" not in snapshot.clients.model_dump_json()


def test_blocked_clients(workdir: Path) -> None:
    with server_in(workdir, "blocked") as server, blocked_clients(server, 3):
        diagnosis = diagnose(server)
    blocked = finding(diagnosis, "BLOCKED_CLIENTS")
    assert blocked.evidence["blocked_clients"] == 3 and blocked.evidence["commands"]["blpop"] == 3


def test_evictions_are_measured_between_samples(workdir: Path) -> None:
    with server_in(workdir, "evict", "--maxmemory", "2mb", "--maxmemory-policy", "allkeys-lru") as server:
        client = client_of(server)
        counter = iter(range(10**9))
        with running(lambda: client.set(f"k{next(counter)}", "x" * 1000), duration_s=3):
            wait_until(lambda: int(info(server, "stats")["evicted_keys"]) > 0, what="first eviction")
            diagnosis = diagnose(server, symptom="memory")
        client.close()
    evictions = finding(diagnosis, "EVICTIONS")
    assert evictions.evidence["evicted_keys"] > 0 and evictions.evidence["window"].startswith("in 0.")
    assert evictions.severity.value == "warning"
    near = finding(diagnosis, "MAXMEMORY_NEAR")
    assert near.severity.value == "info"  # allkeys-lru at its limit is a cache working as designed
    assert "OOM_WRITES_REJECTED" not in {f.code for f in diagnosis.findings}


def test_oom_rejections_under_noeviction(workdir: Path) -> None:
    with server_in(workdir, "oom", "--maxmemory", "2mb", "--maxmemory-policy", "noeviction") as server:
        client = client_of(server)
        counter = iter(range(10**9))
        with running(lambda: client.set(f"k{next(counter)}", "x" * 1000), duration_s=3):
            wait_until(lambda: "errorstat_OOM" in info(server, "errorstats"), what="first OOM error")
            diagnosis = diagnose(server, symptom="writes fail with OOM")
        client.close()
    assert diagnosis.primary is not None and diagnosis.primary.code == "OOM_WRITES_REJECTED"
    assert diagnosis.primary.severity.value == "critical"
    assert diagnosis.primary.evidence["oom_errors"] > 0  # rejected inside the sampling window
    assert "EVICTIONS" not in {f.code for f in diagnosis.findings}


def test_maxclients_reached(workdir: Path) -> None:
    with server_in(workdir, "maxclients", "--maxclients", "4") as server:
        held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(4)]
        try:
            assert not try_connect(server.port) and not try_connect(server.port)  # rejected and counted
            held.pop().close()  # the bot takes the last slot, once the server has seen this close
            diagnosis = retry_unavailable(lambda: diagnose(server, symptom="connection refused"))
        finally:
            for sock in held:
                sock.close()
    reached = finding(diagnosis, "MAXCLIENTS_REACHED")
    assert diagnosis.primary is reached and reached.severity.value == "error"
    assert reached.evidence["maxclients"] == 4 and reached.evidence["connected_clients"] == 4
    assert reached.evidence["rejected_connections"] >= 2


def test_wrong_password_is_unavailable_not_a_crash(workdir: Path) -> None:
    with server_in(workdir, "auth") as server:
        client = client_of(server)
        client.acl_setuser("reader", enabled=True, passwords=["+right"], commands=["+@all"], keys=["*"])
        client.close()
        bad = RedisInstance(url=server.url, username="reader", password="wrong")
        with pytest.raises(RedisUnavailable):
            collect(bad, interval_s=0)
        good = RedisInstance(url=server.url, username="reader", password="right")
        assert collect(good, interval_s=0).info["role"] == "master"


def test_replica_with_link_down(workdir: Path) -> None:
    with server_in(workdir, "orphan", "--replicaof", "127.0.0.1", str(free_port())) as replica:
        diagnosis = diagnose(replica, symptom="replication")
    down = finding(diagnosis, "REPLICA_LINK_DOWN")
    assert diagnosis.primary is down and down.severity.value == "critical"
    assert down.evidence["master_link_status"] == "down"


def test_lagging_replica_seen_from_primary(workdir: Path) -> None:
    with primary_with_replica(workdir / "lag") as (primary, replica):
        assert "REPLICA_LAG" not in {f.code for f in diagnose(primary).findings}
        with paused(replica):
            client = client_of(primary)
            fill_hash(client, "burst", 20_000)
            client.close()
            diagnosis = diagnose(primary, symptom="replica lag")
    lag = finding(diagnosis, "REPLICA_LAG")
    assert diagnosis.primary is lag
    (replica_state,) = lag.evidence["replicas"].values()
    assert replica_state["bytes_behind"] >= 50_000


def test_master_and_resyncing_replica_together(workdir: Path, tmp_path: Path) -> None:
    """A replica joins a master whose diskless sync waits: the master lists it as wait_bgsave, the replica's
    own INFO has its link down with a sync in progress. Diagnosed together (live INFO of both, and the
    same INFO saved to files for the CLI), the replica's link is the primary problem and the master's
    side shows the replica without a usable copy."""
    import json

    from handlers.redis import diagnosis_card
    from tests.support.cli import redis_diagnose

    with server_in(workdir, "sync-master", "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "30") as master:
        client = client_of(master)
        fill_hash(client, "data", 5_000)
        client.close()
        with server_in(workdir, "sync-replica", "--replicaof", "127.0.0.1", str(master.port)) as replica:
            wait_until(lambda: info(master, "replication").get("slave0", {}).get("state") == "wait_bgsave",
                       what="replica waiting for the master's snapshot")
            snap = collect(instance_of(master), name="master", interval_s=0)
            replica_snap = collect(instance_of(replica), name="replica", interval_s=0)
            snap.peers = [replica_snap.info]
            diagnosis = analyze(snap, TEST_THRESHOLDS, "replica not serving")
            for name, server in (("master", master), ("replica", replica)):  # saved as redis-cli prints it
                saved = subprocess.run([require_binary("redis-cli"), "-p", str(server.port), "INFO"], check=True,
                                       capture_output=True, text=True, timeout=10).stdout
                (tmp_path / f"{name}.txt").write_text(saved)
    assert diagnosis.primary is not None and diagnosis.primary.code == "REPLICA_LINK_DOWN"
    assert finding(diagnosis, "REPLICA_LINK_DOWN").evidence["master_link_status"] == "down"
    assert finding(diagnosis, "REPLICA_LAG").evidence["replicas"]["slave0"]["state"] == "wait_bgsave"
    card = diagnosis_card(diagnosis, target="master")
    lag_steps = [s.command for s in finding(diagnosis, "REPLICA_LAG").steps]  # the master's side: its address
    assert lag_steps and all(c.startswith(f"redis-cli -h 127.0.0.1 -p {master.port} ") for c in lag_steps)
    down_steps = [s.command for s in finding(diagnosis, "REPLICA_LINK_DOWN").steps]  # the replica's own INFO
    assert down_steps and all(c.startswith(f"redis-cli -p {replica.port} ") for c in down_steps)
    assert any("repl-backlog-size" in f.command for f in card.fixes)
    code, out, err = redis_diagnose("--info", str(tmp_path / "master.txt"), "--replica-info",
                                    str(tmp_path / "replica.txt"), "--symptom", "replica not serving", "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["primary"] == "REPLICA_LINK_DOWN" and document["symptom"] == "replica not serving"
    assert {"REPLICA_LINK_DOWN", "REPLICA_LAG"} <= {f["code"] for f in document["findings"]}
    assert document["summary"] and document["fixes"] and all(f["why"] for f in document["steps"])


def test_stopped_replica_seen_from_both_sides(workdir: Path) -> None:
    """SIGSTOP the replica, write on the master: the master's INFO shows it behind; with the replica's INFO
    taken before it stopped beside it, the pair still says which replica and how far."""
    with primary_with_replica(workdir / "stopped") as (primary, replica):
        replica_info = collect(instance_of(replica), interval_s=0).info
        with paused(replica):
            client = client_of(primary)
            fill_hash(client, "burst", 20_000)
            client.close()
            snap = collect(instance_of(primary), interval_s=0)
    snap.peers = [replica_info]
    diagnosis = analyze(snap, TEST_THRESHOLDS, "replica lag")
    lag = finding(diagnosis, "REPLICA_LAG")
    assert lag.evidence["replicas"]["slave0"]["bytes_behind"] >= 50_000
    assert "REPLICA_LINK_DOWN" not in {f.code for f in diagnosis.findings}


def test_failed_bgsave(workdir: Path) -> None:
    with server_in(workdir, "bgsave") as server:
        # A directory where dump.rdb belongs makes the final rename fail (for root too): an unwritable target.
        (server.workdir / "dump.rdb").mkdir()
        client = client_of(server)
        client.set("k", "v")
        client.bgsave()
        wait_until(lambda: info(server, "persistence")["rdb_last_bgsave_status"] == "err", what="bgsave failure")
        client.close()
        diagnosis = diagnose(server, symptom="backups")
    failed = finding(diagnosis, "BGSAVE_FAILED")
    assert diagnosis.primary is failed and failed.evidence["rdb_last_bgsave_status"] == "err"
    assert failed.evidence["rdb_changes_since_last_save"] >= 1


def test_fork_latency_recorded_by_latency_monitor(workdir: Path) -> None:
    with server_in(workdir, "fork", "--latency-monitor-threshold", "1", "--enable-debug-command", "yes") as server:
        client = client_of(server)
        client.execute_command("DEBUG", "POPULATE", 1_500_000)  # ~135 MB: fork takes milliseconds
        client.bgsave()
        wait_until(lambda: any(e[0] == b"fork" for e in client.execute_command("LATENCY", "LATEST")),
                   what="LATENCY fork event")
        # LATENCY records forks of 1 ms and more here; report any of them, however fast for their size.
        diagnosis = diagnose(server, "latency spikes",
                             TEST_THRESHOLDS.model_copy(update={"fork_usec": 1000, "fork_ms_per_gb": 0}))
        client.close()
    fork = finding(diagnosis, "FORK_LATENCY")
    assert fork.evidence["latency_fork_ms"]["max"] >= 1
    assert fork.evidence["latest_fork_usec"] > 0


def test_acl_refused_command_becomes_a_note(workdir: Path) -> None:
    with server_in(workdir, "acl") as server:
        client = client_of(server)
        client.acl_setuser("opsbot", enabled=True, passwords=["+pw"], commands=["+@all", "-client"],
                           keys=["*"])
        client.close()
        limited = RedisInstance(url=server.url, username="opsbot", password="pw")
        snapshot = collect(limited, interval_s=0)
    assert "no permissions" in snapshot.errors["CLIENT LIST"]
    assert snapshot.clients is None and snapshot.info["role"] == "master"
    assert any("CLIENT LIST" in note for note in analyze(snapshot).notes)


def test_tls_with_client_certificate(workdir: Path) -> None:
    files = make_tls_files(workdir / "tls-files")
    tls_port = free_port()
    with server_in(workdir, "tls", "--tls-port", str(tls_port), "--tls-cert-file", str(files["server.crt"]),
                   "--tls-key-file", str(files["server.key"]), "--tls-ca-cert-file", str(files["ca.crt"]),
                   "--tls-auth-clients", "yes"):
        url = f"rediss://127.0.0.1:{tls_port}/0"
        good = RedisInstance(url=url, tls_ca_file=str(files["ca.crt"]), tls_cert_file=str(files["client.crt"]),
                             tls_key_file=str(files["client.key"]))
        assert collect(good, interval_s=0).info["role"] == "master"
        with pytest.raises(RedisUnavailable):  # the server requires a client certificate
            collect(RedisInstance(url=url, tls_ca_file=str(files["ca.crt"])), interval_s=0)
        with pytest.raises(RedisUnavailable):  # and we verify the server against our CA
            collect(good.model_copy(update={"tls_ca_file": str(files["client.crt"])}), interval_s=0)
        forced = good.model_copy(update={"url": f"redis://127.0.0.1:{tls_port}/0", "tls": True})
        assert collect(forced, interval_s=0).info["role"] == "master"
