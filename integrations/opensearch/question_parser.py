"""A log question in plain English or Russian, parsed deterministically into what it asks for.

"покажи ошибки 5xx nginx для api.example.com за последние 3 часа без IP 1.2.3.4" becomes: the last
3 hours, status class 5xx, service nginx, host api.example.com, excluding 1.2.3.4. The result names
field *kinds* (status, host, ip, ...), not index fields: the query builder maps them onto the fields
an index really has. What the rules recognise is listed in words (`understood`); words left over
are listed too (`not_understood`), so the card can say what was not taken into account and the
LLM can be asked about the rest.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from integrations.opensearch.question import FilterKind, LogAggregation, LogFilter, LogQuestion, TimeRange

UNITS = {"minute": 60, "min": 60, "hour": 3600, "hr": 3600, "day": 86400, "week": 604800,
         "минут": 60, "мин": 60, "час": 3600, "ден": 86400, "дн": 86400, "сут": 86400, "недел": 604800}
INTERVALS = {"minute": "1m", "hour": "1h", "day": "1d", "минут": "1m", "час": "1h", "дн": "1d", "ден": "1d"}
LEVELS = {"error": "error", "errors": "error", "ошиб": "error", "warn": "warning", "warning": "warning",
          "предупрежден": "warning", "fatal": "fatal", "critical": "critical", "крит": "critical",
          "debug": "debug", "info": "info"}
KNOWN_SERVICES = ("nginx", "apache", "haproxy", "traefik", "envoy", "postgres", "postgresql", "mysql", "redis",
                  "kafka", "kubelet", "coredns", "sshd", "systemd", "kernel", "containerd", "dockerd", "etcd",
                  "opensearch", "elasticsearch", "rabbitmq", "memcached", "cron")
EXCLUDE_WORDS = r"(?:without|except|excluding|exclude|not from|no|без|кроме|исключая|исключить|не считая)"

_NUM_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10, "twelve": 12,
              "один": 1, "одну": 1, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6,
              "десять": 10, "двенадцать": 12, "полчаса": 0}
_UNIT = r"(minutes?|mins?|hours?|hrs?|days?|weeks?|минут[уы]?|мин|час(?:а|ов)?|д(?:ень|ня|ней)|сутки|суток|недел[юиья])"
_COUNT = r"(\d+|" + "|".join(_NUM_WORDS) + r")"
_RELATIVE = re.compile(r"(?:(?:in|over|for|during)\s+)?(?:the\s+)?(?:last|past|previous)\s+(?:" + _COUNT + r"\s*)?"
                       + _UNIT + r"|за\s+(?:последн\w+\s+)?(?:" + _COUNT + r"\s*)?" + _UNIT, re.IGNORECASE)
_HALF_HOUR = re.compile(r"(?:за\s+)?(?:последние\s+)?полчаса|(?:last|past)\s+half\s+(?:an\s+)?hour", re.IGNORECASE)
_CLOCK = r"(\d{1,2}[:.]\d{2})"
_BETWEEN = re.compile(r"(?:between|from|с|между)\s+" + _CLOCK + r"\s*(?:and|to|till|until|до|и|-|–)\s*" + _CLOCK,
                      re.IGNORECASE)
_SINCE_CLOCK = re.compile(r"(?:since|after|с|после)\s+" + _CLOCK, re.IGNORECASE)
_SINCE_YESTERDAY = re.compile(r"since yesterday|со вчерашнего дня|со вчера|с вчерашнего", re.IGNORECASE)
_DAY = re.compile(r"\b(today|yesterday|сегодня|вчера)\b", re.IGNORECASE)
_ISO_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_IP = re.compile(r"\b(\d{1,3}(?:\.\d{1,3}){3})(/\d{1,2})?\b")
_HOST = re.compile(r"\b((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,})\b", re.IGNORECASE)
_STATUS_CLASS = re.compile(r"\b([1-5])(?:xx|хх)\b", re.IGNORECASE)
_STATUS = re.compile(r"(?<![\d.:/-])\b([1-5]\d\d)(?:s|'s)?\b(?![\d.:/-])")
_QUOTED = re.compile(r"\"([^\"]+)\"|«([^»]+)»|'([^']{3,})'")
_NAMESPACE = re.compile(r"\b(?:namespace|ns|неймспейс\w*|пространств\w+ имён)\s+([\w.-]+)", re.IGNORECASE)
_POD = re.compile(r"\b(?:pod|под[аеу]?)\s+([a-z0-9][\w.-]*)", re.IGNORECASE)
_SERVICE = re.compile(r"\b(?:service|app|сервис\w*|приложени\w+)\s+([a-z0-9][\w.-]*)", re.IGNORECASE)
_FIELD = r"([\w.]+(?:\s+(?:ips?|addresses|hosts|paths|urls|agents|codes))?)"
_TOP = re.compile(r"\btop[- ]?(\d+)\s+(?:by\s+|of\s+)?" + _FIELD + r"|\bтоп[- ]?(\d+)\s+(?:по\s+)?" + _FIELD
                  + r"|\bmost (?:frequent|common)\s+" + _FIELD + r"|\bсамы[ех] част\w+\s+" + _FIELD, re.IGNORECASE)
_HISTOGRAM = re.compile(r"\b(?:per|each|every|by|в|по|за каждую|за каждый)\s+"
                        r"(minute|hour|day|минут\w*|час\w*|дн\w*|ден\w*)", re.IGNORECASE)
_PERCENTILE = re.compile(r"\bp(\d{2})\s+(?:of\s+)?([\w.]+)|\b(\d{2})(?:th|-?й|-?го)?\s+(?:percentile|перцентил\w*)"
                         r"\s+(?:of\s+)?([\w.]+)", re.IGNORECASE)
_SORT_NEW = re.compile(r"newest first|latest first|most recent|сначала новые|последние записи", re.IGNORECASE)
_SORT_OLD = re.compile(r"oldest first|сначала старые", re.IGNORECASE)
_SIZE = re.compile(r"\b(\d+)\s+(?:lines|hits|entries|results|events|строк\w*|записей|результат\w*|событи\w*)",
                   re.IGNORECASE)
_FILLER = re.compile(
    r"\b(?:show|me|list|find|give|all|the|a|an|of|for|in|on|at|from|to|with|and|by|logs?|log lines|requests?|"
    r"responses?|entries|messages|please|what|were|are|is|there|any|containing|contains|how many|count|"
    r"покажи|найди|выведи|все|логи|логах|лог|запросы|ответы|для|на|в|по|от|и|с|мне|пожалуйста|какие|были|есть|"
    r"записи|сообщения|сколько|содержащие|с текстом|статус\w*|status|codes?|код\w*|ip|адрес\w*|хост\w*|host)\b",
    re.IGNORECASE)


class _Text:
    """The question with recognised spans blanked out, so leftovers can be reported."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.mask = list(text)

    def take(self, match: re.Match[str]) -> None:
        for index in range(match.start(), match.end()):
            self.mask[index] = " "

    def finditer(self, pattern: re.Pattern[str]) -> list[re.Match[str]]:
        matches = list(pattern.finditer("".join(self.mask)))
        return matches

    def leftover(self) -> list[str]:
        rest = _FILLER.sub(" ", "".join(self.mask))
        return [w for w in re.findall(r"[\w./-]+", rest) if len(w) > 1 and not w.isdigit()]


def _count(raw: str | None) -> int:
    if not raw:
        return 1
    return int(raw) if raw.isdigit() else _NUM_WORDS.get(raw.lower(), 1)


def _unit_seconds(unit: str) -> int:
    unit = unit.lower()
    return next(seconds for prefix, seconds in UNITS.items() if unit.startswith(prefix))


def _at(day: datetime, clock: str) -> datetime:
    hours, minutes = re.split(r"[:.]", clock)
    return day.replace(hour=int(hours), minute=int(minutes), second=0, microsecond=0)


def _excluded(text: str, start: int) -> bool:
    """An exclusion word right before this span ("without 1.2.3.4", "без IP 1.2.3.4", "кроме 404")."""
    before = text[max(0, start - 24):start].lower()
    qualifier = r"\s+(?:ip\s+|адреса?\s+|host\s+|хоста?\s+|status\s+|кода?\s+)?$"
    return re.search(EXCLUDE_WORDS + qualifier, before) is not None


def _time_range(text: _Text, now: datetime, default_window: timedelta, understood: list[str]) -> TimeRange:
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for match in text.finditer(_HALF_HOUR):
        text.take(match)
        understood.append("the last 30 minutes")
        return TimeRange(start=now - timedelta(minutes=30), end=now)
    for match in text.finditer(_RELATIVE):
        count_raw, unit = (match.group(1), match.group(2)) if match.group(2) else (match.group(3), match.group(4))
        seconds = _count(count_raw) * _unit_seconds(unit)
        text.take(match)
        understood.append(f"the last {_describe(seconds)}")
        return TimeRange(start=now - timedelta(seconds=seconds), end=now)
    day = midnight
    for match in text.finditer(_DAY):
        if match.group(1).lower() in ("yesterday", "вчера"):
            day = midnight - timedelta(days=1)
    for match in text.finditer(_ISO_DATE):
        day = datetime.fromisoformat(match.group(1)).replace(tzinfo=now.tzinfo)
    for match in text.finditer(_BETWEEN):
        start, end = _at(day, match.group(1)), _at(day, match.group(2))
        text.take(match)
        _take_all(text, (_DAY, _ISO_DATE))
        understood.append(f"from {start:%Y-%m-%d %H:%M} to {end:%H:%M} ({now.tzinfo})")
        return TimeRange(start=start, end=end if end > start else end + timedelta(days=1))
    for match in text.finditer(_SINCE_YESTERDAY):
        text.take(match)
        understood.append("since yesterday 00:00")
        return TimeRange(start=midnight - timedelta(days=1), end=now)
    for match in text.finditer(_SINCE_CLOCK):
        start = _at(day, match.group(1))
        text.take(match)
        _take_all(text, (_DAY, _ISO_DATE))
        understood.append(f"since {start:%Y-%m-%d %H:%M} ({now.tzinfo})")
        return TimeRange(start=start, end=now)
    if text.finditer(_DAY) or text.finditer(_ISO_DATE):
        _take_all(text, (_DAY, _ISO_DATE))
        understood.append(f"the day {day:%Y-%m-%d}")
        return TimeRange(start=day, end=min(now, day + timedelta(days=1)))
    understood.append(f"the last {_describe(int(default_window.total_seconds()))} (no time given: the default)")
    return TimeRange(start=now - default_window, end=now, asked=False)


def _take_all(text: _Text, patterns: tuple[re.Pattern[str], ...]) -> None:
    for pattern in patterns:
        for match in text.finditer(pattern):
            text.take(match)


def _describe(seconds: int) -> str:
    for unit, size in (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{unit}" if count == 1 else f"{count} {unit}s"
    return f"{seconds} seconds"


def parse(question: str, *, now: datetime, tz: str = "UTC",
          default_window: timedelta = timedelta(hours=1)) -> LogQuestion:
    """Everything the rules recognise in a log question; `now` is taken in the user's time zone."""
    zone = ZoneInfo(tz)
    now = now.astimezone(zone) if now.tzinfo else now.replace(tzinfo=zone)
    text = _Text(question)
    understood: list[str] = []
    filters: list[LogFilter] = []
    aggregations: list[LogAggregation] = []

    def add(kind: FilterKind, value: str, match: re.Match[str], words: str) -> None:
        exclude = _excluded(question, match.start())
        filters.append(LogFilter(kind=kind, value=value, exclude=exclude))
        understood.append(("not " if exclude else "") + words)
        text.take(match)

    for match in text.finditer(_QUOTED):
        phrase = next(g for g in match.groups() if g)
        add("phrase", phrase, match, f'containing "{phrase}"')
    time_range = _time_range(text, now, default_window, understood)
    for match in text.finditer(_TOP):
        size = int(match.group(1) or match.group(3) or 10)
        field = next((g for g in (match.group(i) for i in (2, 4, 5, 6)) if g), "")
        aggregations.append(LogAggregation(kind="top", field=field, size=size))
        understood.append(f"top {size} values of {field}")
        text.take(match)
    for match in text.finditer(_PERCENTILE):
        percent = float(match.group(1) or match.group(3))
        field = match.group(2) or match.group(4)
        aggregations.append(LogAggregation(kind="percentiles", field=field, percents=[percent]))
        understood.append(f"the {percent:g}th percentile of {field}")
        text.take(match)
    for match in text.finditer(_HISTOGRAM):
        unit = match.group(1).lower()
        interval = next(value for prefix, value in INTERVALS.items() if unit.startswith(prefix))
        aggregations.append(LogAggregation(kind="histogram", interval=interval))
        understood.append(f"a count per {interval}")
        text.take(match)
    for match in text.finditer(_IP):
        value = match.group(1) + (match.group(2) or "")
        add("cidr" if match.group(2) else "ip", value, match, f"IP {value}")
    for match in text.finditer(_HOST):
        add("host", match.group(1).lower(), match, f"host {match.group(1).lower()}")
    for match in text.finditer(_STATUS_CLASS):
        add("status_class", f"{match.group(1)}xx", match, f"status {match.group(1)}xx")
    for match in text.finditer(_NAMESPACE):
        add("namespace", match.group(1), match, f"namespace {match.group(1)}")
    for match in text.finditer(_POD):
        add("pod", match.group(1), match, f"pod {match.group(1)}")
    for match in text.finditer(_SERVICE):
        add("service", match.group(1), match, f"service {match.group(1)}")
    for name in KNOWN_SERVICES:
        for match in text.finditer(re.compile(rf"\b{name}\b", re.IGNORECASE)):
            add("service", name, match, f"service {name}")
    for match in text.finditer(_SIZE):
        size = int(match.group(1))
        understood.append(f"{size} hits")
        text.take(match)
        size_asked: int | None = size
        break
    else:
        size_asked = None
    for match in text.finditer(_STATUS):
        add("status", match.group(1), match, f"status {match.group(1)}")
    has_status = any(f.kind in ("status", "status_class") for f in filters)
    for word, level in LEVELS.items():
        for match in text.finditer(re.compile(rf"\b{word}\w*", re.IGNORECASE)):
            if has_status and level == "error":
                text.take(match)  # "5xx errors": the status says it; not also a log level
                continue
            if not any(f.kind == "level" and f.value == level for f in filters):
                add("level", level, match, f"level {level}")
            else:
                text.take(match)
    sort: Literal["newest", "oldest"] = "newest"
    for match in text.finditer(_SORT_OLD):
        sort = "oldest"
        understood.append("oldest first")
        text.take(match)
    for match in text.finditer(_SORT_NEW):
        understood.append("newest first")
        text.take(match)
    _take_all(text, (re.compile(EXCLUDE_WORDS, re.IGNORECASE),))
    return LogQuestion(text=question, time_range=time_range, filters=filters, aggregations=aggregations, sort=sort,
                       size=size_asked, understood=understood, not_understood=text.leftover())
