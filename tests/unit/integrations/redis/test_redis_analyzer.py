"""The analyzer on pasted data: each code, its evidence, thresholds and the ranking."""

from __future__ import annotations

from typing import Any

from integrations.redis.analyzer import analyze
from integrations.redis.catalogue import CATALOGUE
from integrations.redis.checks import CHECKS
from integrations.redis.config import RedisThresholds
from integrations.redis.models import Diagnosis, SlowlogEntry, Snapshot
from integrations.redis.parsers import parse_info, parse_latency_text, parse_log, parse_slowlog_text
from tests.support.paths import TEST_DATA

DATA = TEST_DATA / "redis"
MB = 1024 * 1024


def read(name: str) -> str:
    return (DATA / name).read_text()


def snapshot(info_file: str = "info-7.0-primary.txt", **overrides: Any) -> Snapshot:
    info = parse_info(read(info_file))
    info.update(overrides)
    return Snapshot(source="pasted", info=info)


def codes(diagnosis: Diagnosis) -> list[str]:
    return [f.code for f in diagnosis.findings]


def full_6_2() -> Snapshot:
    snap = snapshot("info-6.2-primary-oom.txt")
    snap.slowlog = parse_slowlog_text(read("slowlog-6.2.txt"))
    snap.latency = parse_latency_text(read("latency-6.2.txt"))
    snap.log = parse_log(read("redis-primary.log"))
    return snap


def test_catalogue_and_checks_cover_the_same_codes() -> None:
    assert list(CATALOGUE) == list(CHECKS)
    assert len(CATALOGUE) == 20
    for entry in CATALOGUE.values():
        assert entry.fix and entry.doc.url and entry.doc.url.startswith("https://redis.io/")
        assert entry.checks and entry.areas


def test_6_2_incident_paste() -> None:
    diagnosis = analyze(full_6_2())
    assert diagnosis.primary is not None and diagnosis.primary.code == "OOM_WRITES_REJECTED"
    assert set(codes(diagnosis)) == {
        "OOM_WRITES_REJECTED", "MAXMEMORY_NEAR", "BGSAVE_FAILED", "FULL_RESYNC_LOOP", "SLOW_COMMANDS", "BIG_KEYS",
        "FORK_LATENCY", "AOF_FSYNC_SLOW", "REPLICA_LAG", "EXPIRE_CYCLE_LATENCY"}
    found = {f.code: f for f in diagnosis.findings}
    assert found["OOM_WRITES_REJECTED"].evidence["oom_errors"] == 4908
    assert found["BGSAVE_FAILED"].evidence["writes_refused_misconf"] == 401
    assert found["BGSAVE_FAILED"].evidence["log"] == "Background saving error"
    assert found["FULL_RESYNC_LOOP"].evidence["output_buffer_disconnects_in_log"] == 2
    assert found["REPLICA_LAG"].evidence["replicas"]["slave1"]["bytes_behind"] == 9912345678 - 9871000000
    # each slow-log entry counts once: whole-key reads are BIG_KEYS, the other O(N) commands SLOW_COMMANDS
    assert found["SLOW_COMMANDS"].evidence["by_command"] == {"ZRANGEBYSCORE": 1, "EVALSHA": 1, "MGET": 1}
    assert set(found["BIG_KEYS"].evidence["keys"]) == {"online:users", "events:recent", "session:index",
                                                       "tmp:€:import"}
    assert found["AOF_FSYNC_SLOW"].evidence["latency_aof-fsync-always_ms"] == {"latest": 312, "max": 1077}
    assert found["EXPIRE_CYCLE_LATENCY"].evidence["latency_expire_cycle_ms"]["max"] == 251
    # severities order the list when no symptom is given
    ranks = [f.severity.rank for f in diagnosis.findings]
    assert ranks == sorted(ranks, reverse=True)


def test_symptom_ranks_explaining_findings_first() -> None:
    diagnosis = analyze(full_6_2(), symptom="replica keeps resyncing")
    assert codes(diagnosis)[0] == "FULL_RESYNC_LOOP"  # an error that explains it beats the critical OOM
    explaining = [f for f in diagnosis.findings if f.explains_symptom]
    assert {"FULL_RESYNC_LOOP", "REPLICA_LAG"} <= {f.code for f in explaining}
    assert diagnosis.findings[: len(explaining)] == explaining
    slow = analyze(full_6_2(), symptom="p99 latency spikes")
    assert slow.primary is not None and "latency" in CATALOGUE[slow.primary.code].areas


def test_slow_log_kinds_are_told_apart() -> None:
    def slowlog(*entries: tuple[int, list[str]]) -> Snapshot:
        snap = snapshot()
        snap.slowlog = [SlowlogEntry(id=n, timestamp=0, duration_us=us, args=args)
                        for n, (us, args) in enumerate(entries)]
        return snap

    keys_only = analyze(slowlog((40_000, ["KEYS", "user:*"]), (35_000, ["KEYS", "*"])))
    assert codes(keys_only) == ["KEYS_IN_SLOWLOG"]
    algebra = analyze(slowlog((520_000, ["SORT", "ids", "BY", "o:*->t"]), (480_000, ["SUNIONSTORE", "d", "a", "b"]),
                              (12_000, ["SET", "k", "v"])))
    assert codes(algebra) == ["SLOW_COMMANDS"]
    whole = analyze(slowlog((90_000, ["HGETALL", "sessions"]), (85_000, ["LRANGE", "q", "0", "-1"])))
    assert codes(whole) == ["BIG_KEYS"]


def test_thresholds_are_configurable() -> None:
    strict = RedisThresholds(big_key_min_us=100_000, replica_lag_s=60, replica_lag_bytes=10**12)
    diagnosis = analyze(full_6_2(), strict)
    assert "BIG_KEYS" not in codes(diagnosis) and "REPLICA_LAG" not in codes(diagnosis)


def test_real_fragmentation() -> None:
    snap = snapshot(used_memory=1000 * MB, used_memory_rss=1900 * MB, used_memory_peak=1050 * MB,
                    mem_fragmentation_ratio=1.9, mem_fragmentation_bytes=900 * MB,
                    allocator_frag_ratio=1.7, allocator_frag_bytes=700 * MB)
    diagnosis = analyze(snap)
    assert codes(diagnosis) == ["HIGH_FRAGMENTATION"]
    assert diagnosis.findings[0].evidence["allocator_frag_ratio"] == 1.7


def test_ratio_high_only_because_of_an_old_peak_is_not_fragmentation() -> None:
    snap = snapshot(used_memory=400 * MB, used_memory_rss=1900 * MB, used_memory_peak=2000 * MB,
                    mem_fragmentation_ratio=4.75, mem_fragmentation_bytes=1500 * MB,
                    allocator_frag_ratio=1.05, allocator_frag_bytes=20 * MB)
    diagnosis = analyze(snap)
    assert codes(diagnosis) == ["FRAGMENTATION_RATIO_MISLEADING"]
    assert diagnosis.findings[0].severity.value == "info"
    assert "HIGH_FRAGMENTATION" not in codes(diagnosis)


def test_high_ratio_on_a_tiny_instance_is_ignored() -> None:
    info = parse_info(read("info-7.0-replica-link-down.txt"))
    assert float(info["mem_fragmentation_ratio"]) > 5  # 7.8 on an empty server
    snap = Snapshot(source="pasted", info=info)
    assert not {"HIGH_FRAGMENTATION", "FRAGMENTATION_RATIO_MISLEADING"} & set(codes(analyze(snap)))


def test_swap() -> None:
    diagnosis = analyze(snapshot(used_memory=3000 * MB, used_memory_rss=2000 * MB, mem_fragmentation_ratio=0.67))
    assert diagnosis.primary is not None and diagnosis.primary.code == "SWAP"
    assert diagnosis.primary.severity.value == "critical"


def test_no_maxmemory_close_to_host_ram() -> None:
    diagnosis = analyze(snapshot(maxmemory=0, used_memory=7000 * MB, used_memory_rss=7300 * MB,
                                 total_system_memory=8192 * MB, mem_fragmentation_ratio=1.04,
                                 mem_fragmentation_bytes=300 * MB))
    assert codes(diagnosis) == ["NO_MAXMEMORY"]
    assert analyze(snapshot(maxmemory=7500 * MB, used_memory=7000 * MB, used_memory_rss=7300 * MB,
                            total_system_memory=8192 * MB, maxmemory_policy="allkeys-lru")).findings[0].code \
        == "MAXMEMORY_NEAR"


def test_evictions_from_one_sample_are_totals() -> None:
    diagnosis = analyze(snapshot(evicted_keys=120, maxmemory=100 * MB, maxmemory_policy="allkeys-lru"))
    (evictions,) = [f for f in diagnosis.findings if f.code == "EVICTIONS"]
    assert evictions.severity.value == "info" and evictions.evidence["window"] == "since start"
    assert any("one INFO sample" in note for note in diagnosis.notes)


def test_evictions_between_two_samples_are_growth() -> None:
    snap = snapshot(evicted_keys=100)
    snap.info_later = {**snap.info, "evicted_keys": 160}
    snap.interval_s = 2.0
    (evictions,) = [f for f in analyze(snap).findings if f.code == "EVICTIONS"]
    assert evictions.evidence["evicted_keys"] == 60 and evictions.title.endswith("(30/s)")


def test_replica_log_alone_shows_link_down() -> None:
    snap = Snapshot(source="pasted", log=parse_log(read("redis-replica.log")))
    diagnosis = analyze(snap)
    assert codes(diagnosis) == ["REPLICA_LINK_DOWN"]
    assert "Connection refused" in diagnosis.findings[0].evidence["log"]


def test_replica_info_shows_link_down() -> None:
    diagnosis = analyze(snapshot("info-7.0-replica-link-down.txt"))
    assert codes(diagnosis) == ["REPLICA_LINK_DOWN"]
    assert diagnosis.findings[0].evidence["master"] == "127.0.0.1:7999"


def test_blocked_and_maxclients_from_info() -> None:
    diagnosis = analyze(snapshot(connected_clients=9990, maxclients=10000, blocked_clients=400,
                                 rejected_connections=12))
    assert codes(diagnosis) == ["MAXCLIENTS_REACHED", "BLOCKED_CLIENTS"]
    # a few consumers waiting in BLPOP among many clients is how queues work
    assert codes(analyze(snapshot(connected_clients=50, blocked_clients=4))) == []


def test_a_high_ratio_on_a_tiny_dataset_is_said_only_when_asked() -> None:
    tiny = snapshot(used_memory=3 * MB, used_memory_rss=14 * MB, mem_fragmentation_ratio=4.6)
    assert codes(analyze(tiny)) == []
    asked = analyze(tiny, symptom="is the memory fragmented?")
    assert codes(asked) == ["FRAGMENTATION_RATIO_MISLEADING"] and "3.0 MiB" in asked.findings[0].title


def test_full_syncs_are_a_loop_only_when_frequent() -> None:
    assert codes(analyze(snapshot(sync_full=5, connected_slaves=1, uptime_in_seconds=200 * 86400))) == []
    loop = analyze(snapshot(sync_full=27, connected_slaves=1, uptime_in_seconds=3 * 3600))
    assert codes(loop) == ["FULL_RESYNC_LOOP"]


def test_json_has_exactly_the_documented_fields() -> None:
    document = analyze(full_6_2(), symptom="writes fail").as_json()
    assert set(document) == {"primary", "summary", "symptom", "instance", "source", "facts", "notes", "findings"}
    assert document["symptom"] == "writes fail" and document["summary"].startswith("Fix: Writes fail with OOM")
    for item in document["findings"]:
        assert set(item) == {"code", "severity", "title", "evidence_fields", "evidence", "fix", "doc", "doc_title",
                             "explains_symptom", "steps", "fixes", "cautions"}
        assert item["doc"].startswith("https://") and item["evidence_fields"] == list(item["evidence"])
    empty = analyze(snapshot("info-7.0-primary.txt")).as_json()
    assert empty["primary"] is None and empty["findings"] == []


def test_healthy_info_has_no_findings() -> None:
    assert analyze(snapshot("info-7.0-primary.txt")).findings == []


def test_fork_latency_is_judged_by_its_size_and_by_the_stall() -> None:
    gb = 1024 * MB
    normal = snapshot(used_memory=20 * gb, used_memory_rss=21 * gb, latest_fork_usec=250_000)  # ~12 ms/GB
    slow = snapshot(used_memory=3 * gb, used_memory_rss=3 * gb, latest_fork_usec=400_000)  # ~133 ms/GB
    stall = snapshot(used_memory=40 * gb, used_memory_rss=41 * gb, latest_fork_usec=1_240_000)  # ~30 ms/GB, 1.2 s
    assert "FORK_LATENCY" not in codes(analyze(normal))
    assert "FORK_LATENCY" in codes(analyze(slow))
    assert "FORK_LATENCY" in codes(analyze(stall))
