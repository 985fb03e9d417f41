"""Parsers for pasted INFO, SLOWLOG GET and LATENCY LATEST text (Redis 6.2 and 7.x) and logs."""

from __future__ import annotations

import pytest

from integrations.redis.parsers import (
    PasteError,
    parse_fields,
    parse_info,
    parse_infos,
    parse_latency_text,
    parse_log,
    parse_slowlog_text,
    split_paste,
    summarise_clients,
)
from integrations.redis.reply_text import parse_reply
from tests.support.paths import TEST_DATA

DATA = TEST_DATA / "redis"


def read(name: str) -> str:
    return (DATA / name).read_text()


def test_info_7_0_captured_from_redis_server() -> None:
    info = parse_info(read("info-7.0-primary.txt"))
    assert info["redis_version"] == "7.0.15" and info["role"] == "master"
    assert isinstance(info["used_memory"], int) and info["used_memory"] > 10_000_000
    assert isinstance(info["mem_fragmentation_ratio"], float)
    assert info["maxmemory_policy"] == "noeviction"
    assert parse_fields(info["db0"])["keys"] == 300_000
    assert "cmdstat_keys" in info  # commandstats section is included with INFO all


def test_info_6_2_with_replicas_and_errorstats() -> None:
    info = parse_info(read("info-6.2-primary-oom.txt"))
    assert info["redis_version"] == "6.2.14" and info["connected_slaves"] == 2
    assert parse_fields(info["slave1"]) == {"ip": "10.20.0.12", "port": 6379, "state": "online",
                                            "offset": 9871000000, "lag": 27}
    assert parse_fields(info["errorstat_OOM"]) == {"count": 4908}
    assert info["rdb_last_bgsave_status"] == "err" and info["aof_delayed_fsync"] == 37


def test_info_with_crlf_and_replica_fields() -> None:
    info = parse_info(read("info-7.0-replica-link-down.txt").replace("\n", "\r\n"))
    assert info["role"] == "slave" and info["master_link_status"] == "down" and info["master_port"] == 7999


def test_slowlog_7_0_as_redis_cli_prints_it() -> None:
    entries = parse_slowlog_text(read("slowlog-7.0.txt"))
    assert [e.command for e in entries] == ["DEBUG", "DEL", "KEYS", "HGETALL", "KEYS"]
    assert entries[2].args == ["KEYS", "*"] and entries[2].duration_us == 142692
    assert entries[1].key == "big:hash"


def test_slowlog_6_2_with_ten_entries_escapes_and_prompt() -> None:
    entries = parse_slowlog_text(read("slowlog-6.2.txt"))
    assert len(entries) == 10  # " 1)" ... "10)": right-aligned indexes
    assert entries[0].id == 90211 and entries[0].args == ["SMEMBERS", "online:users"]
    assert entries[3].args == ["ZRANGEBYSCORE", "leaderboard", "-inf", "+inf", "WITHSCORES"]
    assert entries[6].args[2] == '{"flags":[1,2,3],"note":"line\\nbreak"}'
    assert entries[9].args == ["DEL", "tmp:€:import"]  # \xe2\x82\xac decoded as UTF-8
    assert entries[8].args[-1] == "... (1021 more arguments)"


def test_slowlog_entry_shows_only_command_and_key() -> None:
    entry = parse_slowlog_text(read("slowlog-6.2.txt"))[6]
    assert entry.shown() == "SET config:blob (+1 args)"  # the value stays out of cards


def test_pre_4_0_slowlog_entries_have_four_fields() -> None:
    text = '1) 1) (integer) 7\n   2) (integer) 1300000000\n   3) (integer) 25000\n   4) 1) "keys"\n      2) "*"\n'
    (entry,) = parse_slowlog_text(text)
    assert entry.command == "KEYS" and entry.duration_us == 25000


def test_empty_slowlog() -> None:
    assert parse_slowlog_text("(empty array)\n") == []
    assert parse_slowlog_text("(empty list or set)\n") == []


def test_latency_latest_6_2_and_7_0() -> None:
    events = {e.event: e for e in parse_latency_text(read("latency-6.2.txt"))}
    assert set(events) == {"aof-fsync-always", "expire-cycle", "fork", "command"}
    assert (events["fork"].latest_ms, events["fork"].max_ms) == (412, 530)
    (command,) = parse_latency_text(read("latency-7.0.txt"))
    assert command.event == "command" and command.max_ms >= command.latest_ms


@pytest.mark.parametrize("parser", [parse_slowlog_text, parse_latency_text])
def test_wrong_paste_is_a_clear_error(parser: object) -> None:
    with pytest.raises(PasteError, match="not"):
        parser(read("info-7.0-primary.txt"))  # type: ignore[operator]


def test_latency_text_is_not_a_slowlog() -> None:
    with pytest.raises(PasteError, match="SLOWLOG"):
        parse_slowlog_text(read("latency-6.2.txt"))


def test_nested_reply_parser() -> None:
    assert parse_reply('1) "master"\n2) (integer) 42\n3) 1) 1) "10.0.0.2"\n      2) "6379"\n      3) "40"\n') == [
        "master", 42, [["10.0.0.2", "6379", "40"]]]
    assert parse_reply("(integer) 5") == 5
    assert parse_reply("(nil)") is None


def test_log_lines_plain_and_behind_journald_prefix() -> None:
    primary = parse_log(read("redis-primary.log"))
    assert len(primary) == 17 and primary[2].role == "C" and primary[2].level == "warning"
    assert "No space left on device" in primary[2].message
    replica = parse_log(read("redis-replica.log"))
    assert [line.role for line in replica] == ["S"] * 5
    assert replica[-1].message == "Error condition on socket for SYNC: Connection refused"


def test_split_paste_finds_every_part() -> None:
    text = "\n".join([
        "127.0.0.1:6379> INFO", read("info-6.2-primary-oom.txt"),
        "127.0.0.1:6379> SLOWLOG GET 12", read("slowlog-6.2.txt"),
        read("latency-6.2.txt"), read("redis-replica.log"),
    ])
    pasted = split_paste(text)
    assert pasted.info["redis_version"] == "6.2.14" and "127.0.0.1" not in pasted.info
    assert len(pasted.slowlog) == 10 and len(pasted.latency) == 4 and len(pasted.log) == 5


def test_split_paste_of_chat_text_without_redis_output() -> None:
    with pytest.raises(PasteError, match="no Redis output"):
        split_paste("hello, redis seems slow today")


def test_client_list_summary_keeps_counts_only() -> None:
    text = (
        "id=3 addr=10.1.2.3:5000 laddr=10.1.2.9:6379 fd=8 name=api age=10 idle=0 flags=N db=0 sub=0 psub=0 "
        "multi=-1 qbuf=26 qbuf-free=0 argv-mem=10 obl=0 oll=0 omem=0 tot-mem=20000 events=r cmd=get user=app\n"
        "id=4 addr=10.1.2.4:5001 laddr=10.1.2.9:6379 fd=9 name= age=99 idle=7200 flags=b db=0 sub=0 psub=0 "
        "multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 obl=0 oll=3 omem=1048576 tot-mem=1070000 events=r cmd=blpop "
        "user=worker\n"
    )
    summary = summarise_clients(text)
    assert summary.total == 2 and summary.by_flag == {"N": 1, "b": 1}
    assert summary.idle_buckets == {"<1m": 1, "1h-1d": 1}
    assert summary.output_buffer_bytes == 1048576 and summary.clients_with_output_backlog == 1
    dumped = summary.model_dump_json()
    assert "10.1.2" not in dumped and "api" not in dumped


def test_two_info_outputs_are_told_apart_where_a_field_repeats() -> None:
    master, replica = read("info-7.0-primary.txt"), read("info-7.0-replica-link-down.txt")
    infos = parse_infos(master + "\n" + replica)
    assert [i["role"] for i in infos] == ["master", "slave"]
    assert parse_info(master + replica) == parse_info(master)
    modules = "# Modules\nmodule:name=search,ver=20803\nmodule:name=ReJSON,ver=20602\nused_memory:1\n"
    assert len(parse_infos(modules)) == 1  # one `module:` line per module is still one INFO
    pasted = split_paste(master + replica)
    assert pasted.info["role"] == "master" and [p["role"] for p in pasted.peers] == ["slave"]
