"""Parsers for what Redis returns (raw replies) and what users paste (redis-cli text, logs).

Live replies and pasted text end up in the same models, so the analyzer never knows the difference.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from pydantic import BaseModel, Field

from integrations.redis.models import ClientSummary, Info, InfoValue, LatencyEvent, LogLine, SlowlogEntry, Snapshot
from integrations.redis.reply_text import ReplyParseError, is_reply_line, parse_reply

_INT = re.compile(r"-?\d+")
_FLOAT = re.compile(r"-?\d+\.\d+")
_INFO_LINE = re.compile(r"^([a-z][A-Za-z0-9_.\-]*):(.*)$")  # INFO fields start with a lowercase letter
_SECTION = re.compile(r"^# ?[A-Z][A-Za-z]+$")
# 1234:M 22 Nov 2026 13:50:01.123 # message  (also behind a journald/syslog prefix)
_LOG = re.compile(r"(?:^|\s)(\d+):([XCSM]) (\d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2}(?:\.\d+)?) ([.\-*#]) (.*)$")
_PROMPT = re.compile(r"^\S*(?:\d+|\]|localhost)>\s?|^\$?\s*redis-cli\b|^\S+:\d+(?:\[\d+\])?>")
_LEVELS = {".": "debug", "-": "verbose", "*": "notice", "#": "warning"}
_IDLE_BUCKETS = ((60, "<1m"), (3600, "1m-1h"), (86400, "1h-1d"))


class PasteError(ValueError):
    """Pasted text in which no Redis output could be recognised."""


def parse_info(text: str) -> Info:
    """INFO text -> flat {field: value}; numbers become int/float, composite values stay text. With
    several INFO outputs in the text, the first one (see `parse_infos`)."""
    infos = parse_infos(text)
    return infos[0] if infos else {}


def parse_infos(text: str) -> list[Info]:
    """Every INFO output in the text (a master's and its replica's pasted together): a new one starts
    where a field repeats, which one INFO output never does (but for `module:` lines, one per module)."""
    infos: list[Info] = [{}]
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _INFO_LINE.match(line)
        if match:
            if match.group(1) in infos[-1] and match.group(1) != "module":
                infos.append({})
            infos[-1][match.group(1)] = _number(match.group(2))
    return [info for info in infos if info]


def _number(value: str) -> InfoValue:
    if _INT.fullmatch(value):
        return int(value)
    if _FLOAT.fullmatch(value):
        return float(value)
    return value


def parse_fields(value: InfoValue | None) -> dict[str, InfoValue]:
    """`ip=10.0.0.2,port=6379,state=online,offset=5,lag=0` -> dict (slaveN, dbN, cmdstat_*, errorstat_*)."""
    if not isinstance(value, str):
        return {}
    out: dict[str, InfoValue] = {}
    for part in value.split(","):
        key, sep, val = part.partition("=")
        if sep:
            out[key] = _number(val)
    return out


def slowlog_from_reply(reply: Any) -> list[SlowlogEntry]:
    """SLOWLOG GET as nested lists (raw or from redis-cli text); 4-field entries predate Redis 4.0."""
    entries = []
    for item in reply or []:
        if not (isinstance(item, list) and len(item) >= 4 and isinstance(item[3], list)):
            raise PasteError("not SLOWLOG GET output (expected entries of id, time, duration, arguments)")
        entries.append(SlowlogEntry(id=int(item[0]), timestamp=int(item[1]), duration_us=int(item[2]),
                                    args=[str(a) for a in item[3]]))
    return entries


def latency_from_reply(reply: Any) -> list[LatencyEvent]:
    events = []
    for item in reply or []:
        if not (isinstance(item, list) and len(item) >= 4 and isinstance(item[0], str)):
            raise PasteError("not LATENCY LATEST output (expected entries of event, time, latest, max)")
        events.append(LatencyEvent(event=item[0], timestamp=int(item[1]), latest_ms=int(item[2]),
                                   max_ms=int(item[3])))
    return events


def parse_slowlog_text(text: str) -> list[SlowlogEntry]:
    return slowlog_from_reply(_reply_or_error(text, "SLOWLOG GET"))


def parse_latency_text(text: str) -> list[LatencyEvent]:
    return latency_from_reply(_reply_or_error(text, "LATENCY LATEST"))


def _reply_or_error(text: str, what: str) -> Any:
    body = "\n".join(line for line in text.splitlines() if not _PROMPT.match(line.strip()))
    try:
        reply = parse_reply(body)
    except ReplyParseError as exc:
        raise PasteError(f"cannot read {what} output: {exc} (paste it as redis-cli prints it)") from None
    if not isinstance(reply, list):
        raise PasteError(f"not {what} output: expected redis-cli's numbered list (1) 1) (integer) ...)")
    return reply


def pairs_to_dict(reply: Any) -> dict[str, Any]:
    """A flat [k1, v1, k2, v2, ...] reply (CONFIG GET, MEMORY STATS) as a dict."""
    if isinstance(reply, dict):
        return {str(k): v for k, v in reply.items()}
    items = list(reply or [])
    return {str(items[i]): items[i + 1] for i in range(0, len(items) - 1, 2)}


def summarise_clients(text: str) -> ClientSummary:
    """CLIENT LIST reduced to counts, so no client address or name ever leaves this function."""
    summary = ClientSummary()
    flags: Counter[str] = Counter()
    commands: Counter[str] = Counter()
    idle: Counter[str] = Counter()
    for line in text.splitlines():
        fields = dict(part.partition("=")[::2] for part in line.split())
        if "id" not in fields:
            continue
        summary.total += 1
        flags.update(fields.get("flags", "N"))
        commands[fields.get("cmd", "?")] += 1
        idle[_idle_bucket(_int(fields.get("idle")))] += 1
        summary.query_buffer_bytes += _int(fields.get("qbuf"))
        omem = _int(fields.get("omem"))
        summary.output_buffer_bytes += omem
        summary.max_output_buffer_bytes = max(summary.max_output_buffer_bytes, omem)
        summary.clients_with_output_backlog += 1 if _int(fields.get("oll")) > 0 else 0
    summary.by_flag = dict(flags.most_common())
    summary.by_command = dict(commands.most_common(8))
    summary.idle_buckets = dict(idle)
    return summary


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _idle_bucket(seconds: int) -> str:
    return next((label for limit, label in _IDLE_BUCKETS if seconds < limit), ">1d")


def parse_log(text: str) -> list[LogLine]:
    lines = []
    for raw in text.splitlines():
        match = _LOG.search(raw.rstrip())
        if match:
            _pid, role, when, level, message = match.groups()
            lines.append(LogLine(role=role, time=when, level=_LEVELS[level], message=message))
    return lines


class Pasted(BaseModel):
    """The parts recognised in one paste (INFO, SLOWLOG GET, LATENCY LATEST, log lines)."""

    info: Info = Field(default_factory=dict)
    peers: list[Info] = Field(default_factory=list, description="further INFO outputs (the replica's, the master's)")
    slowlog: list[SlowlogEntry] = Field(default_factory=list)
    latency: list[LatencyEvent] = Field(default_factory=list)
    log: list[LogLine] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.info or self.slowlog or self.latency or self.log)

    def to_snapshot(self, instance: str = "") -> Snapshot:
        return Snapshot(source="pasted", instance=instance, info=self.info, peers=self.peers, slowlog=self.slowlog,
                        latency=self.latency, log=self.log)


def split_paste(text: str) -> Pasted:
    """Sort one pasted blob into its parts: each block of redis-cli array output is a SLOWLOG or a
    LATENCY reply (told apart by their shape), `field:value` lines are INFO, the rest may be log."""
    pasted = Pasted()
    info_lines: list[str] = []
    block: list[str] = []

    def flush() -> None:
        if block:
            _add_reply(pasted, "\n".join(block))
            block.clear()

    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        if _PROMPT.match(line.strip()):
            flush()
        elif _LOG.search(line):
            flush()
            pasted.log += parse_log(line)
        elif line.strip() and is_reply_line(line) and (block or _starts_array(line)):
            block.append(line)
        else:
            flush()
            if _INFO_LINE.match(line.strip()) or _SECTION.match(line.strip()):
                info_lines.append(line)
    flush()
    infos = parse_infos("\n".join(info_lines)) if len(info_lines) >= 3 else []
    pasted.info, pasted.peers = (infos[0], infos[1:]) if infos else ({}, [])
    if pasted.empty:
        raise PasteError("no Redis output recognised: paste INFO, SLOWLOG GET or LATENCY LATEST as redis-cli "
                         "prints them, or redis log lines")
    return pasted


def _starts_array(line: str) -> bool:
    return bool(re.match(r"\s*1\)\s", line))


def _add_reply(pasted: Pasted, text: str) -> None:
    try:
        reply = parse_reply(text)
    except ReplyParseError:
        return
    if not isinstance(reply, list) or not reply or not isinstance(reply[0], list):
        return
    first = reply[0]
    try:
        if first and isinstance(first[0], int):
            pasted.slowlog += slowlog_from_reply(reply)
        elif first and isinstance(first[0], str):
            pasted.latency += latency_from_reply(reply)
    except PasteError:
        return  # another array reply (ROLE, MEMORY STATS...): not diagnosed from a paste
