"""The time window of a log question, in the user's zone: "last 3 hours", "за последние 2 дня", "2h",
"between 10:00 and 11:00", "since 09:30", "yesterday", "позавчера", "on 2026-11-20".

`time_range` blanks what it used out of the question (a `Masked` text), so the rest of the parser
does not read "3 hours" as a duration or "10:00" as a value.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from integrations.opensearch.question import TimeRange

UNITS = {"minute": 60, "min": 60, "hour": 3600, "hr": 3600, "day": 86400, "week": 604800,
         "минут": 60, "мин": 60, "час": 3600, "ден": 86400, "дн": 86400, "сут": 86400, "недел": 604800,
         "h": 3600, "m": 60, "d": 86400, "w": 604800, "ч": 3600, "м": 60, "д": 86400}
NUM_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10, "twelve": 12,
             "fifteen": 15, "twenty": 20, "thirty": 30, "один": 1, "одну": 1, "два": 2, "две": 2, "три": 3,
             "четыре": 4, "пять": 5, "шесть": 6, "десять": 10, "двенадцать": 12, "пятнадцать": 15,
             "двадцать": 20, "тридцать": 30}
_UNIT = (r"(minutes?|mins?|hours?|hrs?|days?|weeks?|минут[уы]?|мин|час(?:а|ов)?|д(?:ень|ня|ней)|сутки|суток|"
         r"недел[юиья])\b")
_COUNT = r"(\d+|" + "|".join(NUM_WORDS) + r")"
_RELATIVE = re.compile(
    r"(?:(?:in|over|for|during|within)\s+)?(?:the\s+)?(?:last|past|previous)\s+(?:" + _COUNT + r"\s*)?" + _UNIT
    + r"|(?:за|в\s+течение)\s+(?:(?:последн|прошедш|прошл)\w*\s+)?(?:" + _COUNT + r"\s*)?" + _UNIT, re.IGNORECASE)
_SHORT = re.compile(r"(?:(?:in|over|for|within)\s+)?(?:the\s+)?(?:(?:last|past)\s+|(?<![\w/])за\s+(?:последн\w+\s+)?)?"
                    r"\b(\d+)\s?(h|m|d|w|ч|м|д)\b(?![\w.:/-])", re.IGNORECASE)
_COUNTED = re.compile(r"(?:than|over|above|under|below|least|most|больше|меньше|более|менее|свыше|>|<|>=|<=)\s*$",
                      re.IGNORECASE)
_HALF_HOUR = re.compile(r"(?:за\s+)?(?:последние\s+)?полчаса|(?:last|past)\s+half\s+(?:an\s+)?hour", re.IGNORECASE)
_CLOCK = r"(\d{1,2}[:.]\d{2}(?:\s?[ap]m)?|\d{1,2}\s?[ap]m\b|\d{1,2}(?=\s*(?:утра|часов|ч\b)))"
# "from 9am to 11", "с 9 утра до 11", "between 2 and 4pm", "с 6 вечера до полуночи": two clock times
# (a bare pair only when no unit follows: "с 1 до 5 секунд" is a duration); a half-day word may follow each.
_HALF_DAY = r"(?:\s*(?:утра|дня|вечера|ночи))?"
_BETWEEN = re.compile(r"(?:between|from|с|между)\s+(\d{1,2}[:.]\d{2}(?:\s?[ap]m)?|\d{1,2}(?:\s?[ap]m)?|noon|полудня)"
                      + _HALF_DAY + r"\s*(?:and|to|till|until|до|и|-|–)\s*"
                      r"(\d{1,2}[:.]\d{2}(?:\s?[ap]m)?|\d{1,2}(?:\s?[ap]m)?|полуночи|midnight|noon|полудня)"
                      + _HALF_DAY + r"(?![\d:.])(?!\s*(?:ms|мс|s|с|сек|sec|min|мин|kb|mb|кб|мб|%))",
                      re.IGNORECASE)
_PM_WORDS = ("дня", "вечера")


def _hour(clock: str) -> int:
    return int(re.split(r"[:.\sapm]", clock)[0])


def _clock_pair(match: re.Match[str]) -> tuple[str, str]:
    """The two clock times of a _BETWEEN match, each with the half of the day said after it or, said
    once, shared ("from 9pm to 11", "between 1 and 3pm")."""
    clocks = []
    for group in (1, 2):
        clock = match.group(group).lower()
        after = match.string[match.end(group):match.end(group) + 8].lower().lstrip()
        if clock in ("noon", "полудня"):
            clock = "12:00"
        elif after.startswith(_PM_WORDS) and not clock.endswith("m"):
            clock += "pm"
        clocks.append(clock)
    first, second = clocks
    bare = [not c.endswith("m") and c.replace(":", "").replace(".", "").isdigit() for c in clocks]
    if bare[1] and first.endswith("pm"):
        second += "pm"
    elif bare[0] and second.endswith("pm") and _hour(first) < _hour(second):
        first += "pm"
    return first, second


_WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
             "понедельник": 0, "вторник": 1, "среду": 2, "среда": 2, "четверг": 3, "пятниц": 4, "суббот": 5,
             "воскресень": 6}
_WEEKDAY = re.compile(r"\b(since(?:\s+last)?|from(?:\s+last)?|after|on|last|с|со|в|во|прошл\w*|с\s+прошл\w*)?\s*\b("
                      + "|".join(_WEEKDAYS)
                      + r")\w*", re.IGNORECASE)
_MORNING = re.compile(r"\b(?:с утра|since (?:this )?morning|this morning|сегодня утром)\b", re.IGNORECASE)
_SINCE_MIDNIGHT = re.compile(r"\b(?:since|from|after) midnight\b|с полуночи|после полуночи", re.IGNORECASE)
_SINCE_CLOCK = re.compile(r"(?:since|after|с|после)\s+" + _CLOCK, re.IGNORECASE)
# "since yesterday", "с позавчера": from that day's midnight up to now, not that one day.
_SINCE_DAY = re.compile(r"\b(?:since|from)\s+(yesterday|the day before yesterday)\b|(?<!\w)(?:с|со)\s+"
                        r"(вчера|вчерашнего|позавчера|позавчерашнего)(?:\s+дня)?(?!\w)", re.IGNORECASE)
_DAY = re.compile(r"\b(?:(?:for|on|during|за|в)\s+)?(today|yesterday|the day before yesterday|сегодня|вчера|"
                  r"позавчера|сегодняшн\w*|вчерашн\w*)(?:\s+(?:день|дня))?\b", re.IGNORECASE)
_ISO_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_DAYS_BACK = {"yesterday": 1, "вчера": 1, "вчерашн": 1, "позавчера": 2, "the day before yesterday": 2}


class Masked:
    """The question with used spans blanked out, so the next pass and the leftovers skip them."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.mask = list(text)

    def take(self, match: re.Match[str]) -> None:
        self.blank(match.start(), match.end())

    def blank(self, start: int, end: int) -> None:
        for index in range(start, end):
            self.mask[index] = " "

    def finditer(self, pattern: re.Pattern[str]) -> list[re.Match[str]]:
        return list(pattern.finditer(self.current))

    @property
    def current(self) -> str:
        return "".join(self.mask)


def _count(raw: str | None) -> int:
    if not raw:
        return 1
    return int(raw) if raw.isdigit() else NUM_WORDS.get(raw.lower(), 1)


def _unit_seconds(unit: str) -> int:
    unit = unit.lower()
    return UNITS[unit] if unit in UNITS else next(s for prefix, s in UNITS.items() if unit.startswith(prefix))


def _at(day: datetime, clock: str) -> datetime:
    """"10:30", "9am", "9:15 pm", "9" (before "утра"/"часов") on `day`."""
    clock = clock.lower().strip()
    afternoon = clock.endswith("pm")
    digits = re.split(r"[:.]", clock.rstrip("apm ").strip())
    hours, minutes = int(digits[0]), int(digits[1]) if len(digits) > 1 else 0
    if afternoon and hours < 12:
        hours += 12
    elif clock.endswith("am") and hours == 12:
        hours = 0
    return day.replace(hour=hours, minute=minutes, second=0, microsecond=0)


def describe(seconds: int) -> str:
    for unit, size in (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{unit}" if count == 1 else f"{count} {unit}s"
    return f"{seconds} seconds"


def _take_all(text: Masked, patterns: tuple[re.Pattern[str], ...]) -> None:
    for pattern in patterns:
        for match in text.finditer(pattern):
            text.take(match)


def _back(word: str) -> int:
    word = word.lower()
    return next((days for prefix, days in _DAYS_BACK.items() if word.startswith(prefix)), 0)


def time_range(text: Masked, now: datetime, default_window: timedelta, understood: list[str]) -> TimeRange:
    """The window the question asks for (the default one, said so, when none)."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for match in text.finditer(_HALF_HOUR):
        text.take(match)
        understood.append("the last 30 minutes")
        return TimeRange(start=now - timedelta(minutes=30), end=now)
    for pattern in (_RELATIVE, _SHORT):
        for match in text.finditer(pattern):
            if pattern is _SHORT and (match.group(2) == "M" or (_COUNTED.search(text.current[:match.start()])
                                                                and match.group(0)[0].isdigit())):
                continue  # "more than 1M rows", "over 2M": a count (M is never minutes), not a window
            groups = [g for g in match.groups() if g is not None]
            count_raw, unit = (groups[0], groups[1]) if len(groups) == 2 else (None, groups[0])
            seconds = _count(count_raw) * _unit_seconds(unit)
            text.take(match)
            understood.append(f"the last {describe(seconds)}")
            return TimeRange(start=now - timedelta(seconds=seconds), end=now)
    for match in text.finditer(_SINCE_MIDNIGHT):
        text.take(match)
        understood.append("since 00:00 today")
        return TimeRange(start=midnight, end=now)
    for match in text.finditer(_MORNING):
        text.take(match)
        understood.append("since 06:00 today")
        return TimeRange(start=midnight.replace(hour=6), end=now)
    day = midnight
    since_weekday = False
    for match in text.finditer(_WEEKDAY):
        name = match.group(2).lower()
        weekday = next(v for k, v in _WEEKDAYS.items() if name.startswith(k))
        back = (now.weekday() - weekday) % 7 or 7
        day = midnight - timedelta(days=back)
        since_weekday = (match.group(1) or " ").split()[0].lower() in ("since", "from", "after", "с", "со")
        text.take(match)
        if since_weekday:
            understood.append(f"since {day:%A %Y-%m-%d}")
            return TimeRange(start=day, end=now)
    weekday_day = day if day != midnight else None
    for match in text.finditer(_DAY):
        day = midnight - timedelta(days=_back(match.group(1)))
    for match in text.finditer(_ISO_DATE):
        day = datetime.fromisoformat(match.group(1)).replace(tzinfo=now.tzinfo)
    for match in text.finditer(_BETWEEN):
        first, second = _clock_pair(match)
        start = _at(day, first)
        end = day + timedelta(days=1) if second.lower() in ("полуночи", "midnight") else _at(day, second)
        text.take(match)
        _take_all(text, (_DAY, _ISO_DATE))
        understood.append(f"from {start:%Y-%m-%d %H:%M} to {end:%H:%M} ({now.tzinfo})")
        return TimeRange(start=start, end=end if end > start else end + timedelta(days=1))
    for match in text.finditer(_SINCE_DAY):
        text.take(match)
        start = midnight - timedelta(days=_back(match.group(1) or match.group(2)))
        understood.append(f"since {start:%Y-%m-%d} 00:00")
        return TimeRange(start=start, end=now)
    for match in text.finditer(_SINCE_CLOCK):
        start = _at(day, match.group(1))
        text.take(match)
        _take_all(text, (_DAY, _ISO_DATE))
        understood.append(f"since {start:%Y-%m-%d %H:%M} ({now.tzinfo})")
        return TimeRange(start=start, end=now)
    if text.finditer(_DAY) or text.finditer(_ISO_DATE) or weekday_day is not None:
        _take_all(text, (_DAY, _ISO_DATE))
        understood.append(f"the day {day:%Y-%m-%d}")
        return TimeRange(start=day, end=min(now, day + timedelta(days=1)))
    understood.append(f"the last {describe(int(default_window.total_seconds()))} (no time given: the default)")
    return TimeRange(start=now - default_window, end=now, asked=False)
