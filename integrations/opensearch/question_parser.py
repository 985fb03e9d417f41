"""A log question in plain English or Russian, read deterministically against one index's mapping.

"5xx under /api/ but not /api/healthz or /api/ready, last 1h" on an nginx mapping becomes: the last
hour, `http.response.status_code` 500..599, `url.path` prefix "/api/", and `url.path` not in
[/api/healthz, /api/ready]. Nothing here is a list of phrasings: the field words come from the
mapping (integrations.opensearch.vocabulary); values are typed (numbers with units, sizes,
durations, IPs and CIDRs, paths with wildcards, quoted phrases, identifiers, exception names, HTTP
methods, levels) and attached to the field named next to them, or to the one field their type
fits. Grouping ("by X", "per X", "по X", "which X ... most", "top N X") becomes a terms
aggregation, a superlative ("slowest", "самые большие") a sort on the measure. A value with no field
to go to, and every word not understood, is listed (`not_understood`) rather than dropped or put
on the wrong field.

The pieces: question_words (the function words and closed value sets), question_tokens (tokens and
their tags), typed_values (what a token is as a value), field_clauses (a value on a field), ranking
(grouping and sorting words), attach (which field a value goes to), question_walk (the pass over the
tokens, with walk_kinds, walk_sorting and walk_leftovers); this module runs them after the time window,
histograms and percentiles are read. An identifier no field is named for is looked for as text in the
message field, and the card says so ("matched as text").
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from integrations.opensearch.attach import Reader
from integrations.opensearch.field_clauses import describe, join_ranges
from integrations.opensearch.mapping import DATE, IndexSchema
from integrations.opensearch.question import FieldClause, LogAggregation, LogQuestion, TimeRange
from integrations.opensearch.question_tokens import respelled, tag_phrases, tokenize
from integrations.opensearch.question_walk import Walk
from integrations.opensearch.question_words import FILLER
from integrations.opensearch.time_words import Masked, time_range
from integrations.opensearch.vocabulary import name_parts, vocabulary

INTERVALS = {"minute": "1m", "hour": "1h", "day": "1d", "минут": "1m", "час": "1h", "дн": "1d", "ден": "1d"}
_HISTOGRAM = re.compile(r"\b(?:per|each|every|by|в|по|за каждую|за каждый|на каждую|на каждый)\s+"
                        r"(minute|hour|day|минут[уеа]|час(?:ам|у|ы)?|дн(?:ям|ю|ь)|ден[ьям]+)\b", re.IGNORECASE)
_FIRST_SEEN = re.compile(r"\bfirst\s+(?:seen|appeared|occurred|noticed|logged)\b|\bвпервые\b", re.IGNORECASE)
_PERCENTILE = re.compile(r"\bp(\d{2})\s+(?:of\s+)?([\w.]+)|\b(\d{2})(?:th|-?й|-?го)?\s+(?:percentile|перцентил\w*)"
                         r"\s+(?:of\s+)?([\w.]+)", re.IGNORECASE)
_SIZE = re.compile(r"(?<![\w.-])(?:last\s+|latest\s+|first\s+|последние\s+)?(\d+)\s+"
                   r"(?:lines|hits|entries|results|events|строк\w*|записей|результат\w*|событи\w*)\b", re.IGNORECASE)


def _first_seen(text: Masked, window: TimeRange, now: datetime, default_window: timedelta,
                reader: Reader) -> TimeRange:
    """"evictions first seen yesterday", "впервые появившиеся сегодня": the window is on the date field
    that says when a thing first happened (`firstTimestamp`), not on the time of the hit."""
    matches = text.finditer(_FIRST_SEEN)
    first = next((name for name, kind in reader.schema.fields.items() if kind in DATE
                  and name != reader.schema.time_field and name_parts(name)[:1] == ["first"]), None)
    if not window.asked or not matches or first is None:
        return window
    text.take(matches[0])
    reader.clauses.append(FieldClause(field=first, op="range", gte=window.start.isoformat(),
                                      lt=window.end.isoformat() if window.end < now else None,
                                      words=matches[0].group(0)))
    return TimeRange(start=now - default_window, end=now, asked=False)


def parse(question: str, *, now: datetime, tz: str = "UTC", default_window: timedelta = timedelta(hours=1),
          schema: IndexSchema | None = None) -> LogQuestion:
    """Everything the rules recognise in a log question on `schema`'s index; `now` is in the user's zone."""
    zone = ZoneInfo(tz)
    now = now.astimezone(zone) if now.tzinfo else now.replace(tzinfo=zone)
    schema = schema or IndexSchema(pattern="", fields={})
    vocab = vocabulary(schema.fields)
    text = Masked(respelled(question))
    reader = Reader(question=question, vocab=vocab, schema=schema)
    window = time_range(text, now, default_window, reader.understood)
    window = _first_seen(text, window, now, default_window, reader)
    for match in text.finditer(_HISTOGRAM):
        unit = match.group(1).lower()
        interval = next(value for prefix, value in INTERVALS.items() if unit.startswith(prefix))
        reader.aggs.append(LogAggregation(kind="histogram", interval=interval))
        reader.understood.append(f"a count per {interval}")
        text.take(match)
    percentiles: list[tuple[LogAggregation, str, str]] = []  # (aggregation, as understood, its first word)
    for match in text.finditer(_PERCENTILE):
        percent = float(match.group(1) or match.group(3))
        word = match.group(2) or match.group(4)
        named = vocab.names([word])
        name = named[0].name if named else schema.resolve(word)
        if name is not None:
            percentiles.append((LogAggregation(kind="percentiles", field=name, percents=[percent]),
                                f"the {percent:g}th percentile of {name}", match.group(0).split()[0]))
            text.take(match)
    said_at = len(reader.understood)
    size: int | None = None
    for match in text.finditer(_SIZE):
        size = int(match.group(1))
        reader.understood.append(f"{size} hits")
        text.take(match)
        break
    tokens = tokenize(text.current)
    tag_phrases(tokens)
    walk = Walk(reader, tokens)
    walk.run()
    join_ranges(reader.clauses)
    # "p99 elapsed per uri": a percentile per group needs a nested aggregation the query model has not, and
    # one over all the hits is not what was asked; said as not understood instead.
    grouped = any(a.kind == "top" for a in reader.aggs)
    reader.aggs[:0] = [agg for agg, _, _ in percentiles if not grouped]
    reader.understood[said_at:said_at] = [line for _, line, _ in percentiles if not grouped]
    reader.unplaced += [word for _, _, word in percentiles if grouped]
    reader.aggs = list({(a.kind, a.field, a.interval): a for a in reversed(reader.aggs)}.values())[::-1]
    for clause in walk.weak:  # "падает с ошибками": the errors say the outcome
        if any(other is not clause and other.field == clause.field for other in reader.clauses):
            reader.clauses.remove(clause)
    reader.understood += [describe(c) + (" (matched as text: no field was named for it)" if c in reader.as_text
                                         else "") for c in reader.clauses]
    reader.understood += [" or ".join(describe(c) for c in group) for group in reader.any_of]
    has_duration = any(c.op == "range" and (info := vocab.fields.get(c.field)) is not None and info.kind == "duration"
                       for c in reader.clauses)
    leftover = [t.text for t in tokens if not t.used and t.tag != "cont" and not (t.tag == "slow" and has_duration)
                and t.kind != "punct" and t.low not in FILLER]
    used_mentions = {c.field for c in [*reader.clauses, *(c for group in reader.any_of for c in group)]}
    unused = [t.text for t, info in walk.mentions if info.name not in used_mentions and info.kind != "message"
              and t.text not in leftover]
    return LogQuestion(text=question, time_range=window, clauses=reader.clauses, any_of=reader.any_of,
                       aggregations=reader.aggs, sort="oldest" if reader.oldest else "newest",
                       sort_field=reader.sort_field, sort_order=reader.sort_order, size=size,
                       understood=reader.understood, as_text=reader.as_text, guesses=reader.guesses,
                       not_understood=list(dict.fromkeys([*reader.unplaced, *leftover, *unused])))
