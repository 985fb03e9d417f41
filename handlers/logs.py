"""/logs and `opsbot logs`: a log question in plain English or Russian -> a validated OpenSearch query
-> its hits, with the query on the card so the engineer can trust and reuse it.

Steps: fetch (and cache) the index pattern's mapping; parse the question with rules
(integrations.opensearch.question_parser); build the `_search` body from the fields the index really has
(integrations.opensearch.dsl); with an LLM that passed its gate and words the rules left over, one call
translating the whole question into the same question model (handlers.llm.log_clauses), merged only
when it validates and keeps what the rules understood;
validate (known fields, type-correct operators, size cap, a time range); dry-run
`_validate/query`; search with a timeout. Each failure is said on the card in words.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from pydantic import BaseModel, Field

from core.cards import Card, CardField, CardKind, CardStatus, Link
from core.events import Command
from core.models import Severity, Unavailable
from integrations.opensearch.collector import connect, field_value
from integrations.opensearch.config import OpenSearchSettings
from integrations.opensearch.dsl import add_clauses, build_search, field_clause
from integrations.opensearch.field_clauses import describe
from integrations.opensearch.mapping import IndexSchema, MappingCache
from integrations.opensearch.question import FieldClause, LogQuestion
from integrations.opensearch.question_parser import parse
from integrations.opensearch.validate import validate_search
from integrations.redaction import redact

if TYPE_CHECKING:
    from integrations.llm.client import LLMClient

USAGE = ("`/logs QUESTION [--index PATTERN]` searches the logs, e.g. `/logs nginx 5xx for api.example.com in the "
         "last 3 hours without 10.0.0.1` or `/logs ошибки в namespace shop за последние 30 минут`.")
HIT_CHARS = 300
SHOWN_HITS = 10
SHOWN_BUCKETS = 10
_INDEX_OPTION = re.compile(r"(?:^|\s)--index(?:=|\s+)(\S+)")
MAPPINGS = MappingCache()


class LogsNeeds(Protocol):
    """What /logs reads of the settings: the OpenSearch connection and its field names."""

    @property
    def opensearch(self) -> OpenSearchSettings: ...



class LogsError(Exception):
    """Why a question could not be searched, in words for the card or the terminal."""


class Translation(BaseModel):
    """What `opsbot logs translate --json` prints."""

    question: str
    index: str
    dsl: dict[str, Any]
    understood: list[str] = Field(default_factory=list)
    not_understood: list[str] = Field(default_factory=list)
    used_llm: bool = False
    llm_note: str = ""


class Bucket(BaseModel):
    key: str
    value: float | int | None


class SearchAnswer(BaseModel):
    total: int = 0
    hits: list[str] = Field(default_factory=list)
    aggregations: dict[str, list[Bucket]] = Field(default_factory=dict)
    took_ms: int = 0


def split_index(text: str) -> tuple[str, str | None]:
    """`QUESTION --index PATTERN` -> (question, pattern)."""
    match = _INDEX_OPTION.search(text)
    if match is None:
        return text.strip(), None
    return (text[:match.start()] + text[match.end():]).strip(), match.group(1)


def translate(question: str, fields: dict[str, str], config: OpenSearchSettings, *, index: str,
              now: datetime | None = None, tz: str | None = None, llm: LLMClient | None = None) -> Translation:
    """The validated `_search` body for `question` on an index with these `fields`. Raises LogsError."""
    if not fields:
        raise LogsError(f"the index pattern {index} has no mapped fields (no such index?)")
    schema = IndexSchema(pattern=index, fields=fields, aliases=config.aliases)
    parsed = parse(question, now=now or datetime.now(UTC), tz=tz or config.timezone,
                   default_window=timedelta(seconds=config.default_window_s), schema=schema)
    try:
        built = build_search(parsed, schema, max_size=config.max_query_size)
    except ValueError as exc:
        raise LogsError(str(exc)) from None
    understood = list(parsed.understood)
    if not parsed.time_range.asked:
        understood.append(f"the last {config.default_window_s // 60} minutes (no time range was asked for)")
    result = Translation(question=question, index=index, dsl=built.body, understood=understood,
                         not_understood=[*parsed.not_understood, *built.skipped])
    guesses = withheld_guesses(parsed)
    leftover = [*parsed.not_understood, *(c.words for c in guesses)]
    if llm is not None and any(len(word) > 2 for word in leftover):  # not for a stray "by"
        from handlers.llm.log_clauses import translate_rest
        from integrations.llm.structured import failure_note

        asked = question_for_llm(parsed, guesses)
        base = build_search(asked, schema, max_size=config.max_query_size) if guesses else built
        added = translate_rest(question, leftover, base.body, schema, llm, max_size=config.max_query_size,
                               parsed=asked)
        if added.status == "added" and added.body is not None:
            kept = [c for c in guesses if not _placed(c, added.body["query"])]
            result.dsl = add_clauses(added.body, [field_clause(c) for c in kept if not c.exclude],
                                     [field_clause(c) for c in kept if c.exclude])
            result.used_llm = True
            placed = {describe(c) for c in guesses if c not in kept}
            result.understood = [line for line in result.understood if line.split(" (matched as text", 1)[0]
                                 not in placed]
            result.understood += added.parts or [f"{added.understood or 'more clauses'} (LLM)"]
            result.not_understood = [*added.not_understood, *built.skipped]
        if added.status == "nothing":
            result.llm_note = "the LLM found nothing more to filter on"
        elif added.status != "added":
            result.llm_note = failure_note(added.status == "unavailable", added.reason)
    errors = validate_search(result.dsl, schema, max_size=config.max_query_size)
    if errors:  # the builder's own output: a bug, said plainly rather than sent
        raise LogsError("the query failed validation: " + "; ".join(errors))
    return result


def withheld_guesses(parsed: LogQuestion) -> list[FieldClause]:
    """What the weakest rules wrote (an identifier matched as text, a value given to a field named apart
    from it): the LLM is asked about those words too, on the query without them, and a guess stays only
    where its answer did not place the value."""
    return [c for c in parsed.guesses if c in parsed.clauses and (isinstance(c.value, str) or c.op == "range")]


def question_for_llm(parsed: LogQuestion, guesses: list[FieldClause] | None = None) -> LogQuestion:
    """The question the LLM is asked to extend: the rules' reading without the guesses they withhold
    (`guesses`, when already known: withheld_guesses(parsed))."""
    guesses = withheld_guesses(parsed) if guesses is None else guesses
    if not guesses:
        return parsed
    return parsed.model_copy(update={"clauses": [c for c in parsed.clauses if c not in guesses],
                                     "as_text": [], "guesses": []})


def _placed(guess: FieldClause, query: object) -> bool:
    """Whether the LLM's query has the guess's value somewhere (then its answer placed it, maybe elsewhere):
    the text as a value, or a bound of a range clause ("дольше 30 сек" on waitMs rather than the guessed durMs)."""
    if guess.op != "range":
        return guess.value in _values(query)
    bounds = {b for b in (guess.gte, guess.gt, guess.lte, guess.lt) if b is not None}
    return bool(bounds & set(_range_bounds(query)))


def _values(node: object) -> list[object]:
    """Every scalar value of a query body."""
    if isinstance(node, dict):
        return [v for child in node.values() for v in _values(child)]
    if isinstance(node, list):
        return [v for child in node for v in _values(child)]
    return [node]


def _range_bounds(node: object) -> list[object]:
    """The bounds of every range clause of a query body ({"range": {field: {"gte": …}}})."""
    if isinstance(node, list):
        return [b for child in node for b in _range_bounds(child)]
    if not isinstance(node, dict):
        return []
    found = [b for key, child in node.items() if key != "range" for b in _range_bounds(child)]
    for spec in (node.get("range") or {}).values():
        if isinstance(spec, dict):
            found += [v for k, v in spec.items() if k in ("gte", "gt", "lte", "lt")]
    return found


def fetch_fields(client: Any, index: str, config: OpenSearchSettings) -> dict[str, str]:
    from opensearchpy.exceptions import NotFoundError, OpenSearchException

    try:
        return MAPPINGS.fields(client, index, timeout_s=config.search_timeout_s, ttl_s=config.mapping_ttl_s)
    except NotFoundError:
        raise LogsError(f"no index matches {index}") from None
    except OpenSearchException as exc:
        raise LogsError(f"could not read the mapping of {index}: {_short(exc)}") from None


def run_search(client: Any, translation: Translation, config: OpenSearchSettings) -> SearchAnswer:
    """Dry-run the query with `_validate/query`, then search. Raises LogsError."""
    from opensearchpy.exceptions import OpenSearchException

    index, body = translation.index, translation.dsl
    try:
        check = client.indices.validate_query(index=index, body={"query": body["query"]}, explain=True,
                                              request_timeout=config.search_timeout_s)
        if not check.get("valid", False):
            reasons = [e.get("error", "") for e in check.get("explanations", []) if not e.get("valid", True)]
            raise LogsError("OpenSearch rejected the query: " + ("; ".join(r for r in reasons if r) or "invalid"))
        answer = client.search(index=index, body=body, request_timeout=config.search_timeout_s)
    except OpenSearchException as exc:
        raise LogsError(f"the search failed: {_short(exc)}") from None
    return parse_answer(answer, config)


def parse_answer(answer: dict[str, Any], config: OpenSearchSettings) -> SearchAnswer:
    fields = config.fields
    hits = (answer.get("hits") or {}).get("hits") or []
    total = (answer.get("hits") or {}).get("total") or 0
    lines = []
    for hit in hits[:SHOWN_HITS]:
        source = hit.get("_source") or {}
        message = field_value(source, fields.message)
        text = str(message) if message is not None else json.dumps(source, ensure_ascii=False, default=str)
        stamp = field_value(source, fields.timestamp) or ""
        lines.append(redact(f"{stamp} {text}".strip())[:HIT_CHARS])
    aggs: dict[str, list[Bucket]] = {}
    for name, agg in (answer.get("aggregations") or {}).items():
        if "buckets" in agg:
            aggs[name] = [Bucket(key=redact(str(b.get("key_as_string", b.get("key")))), value=b.get("doc_count"))
                          for b in agg["buckets"][:SHOWN_BUCKETS * 6]]
        elif "values" in agg:
            aggs[name] = [Bucket(key=f"p{k}", value=v) for k, v in agg["values"].items()]
    return SearchAnswer(total=int(total.get("value", 0)) if isinstance(total, dict) else int(total), hits=lines,
                        aggregations=aggs, took_ms=int(answer.get("took", 0)))


# --- the card ------------------------------------------------------------------------------------

def _rison(value: str) -> str:
    return "'" + value.replace("!", "!!").replace("'", "!'") + "'"


def _kql(clause: dict[str, Any]) -> str:
    (op, spec), = clause.items()
    if op == "exists":
        return f"{spec['field']}:*"
    if op == "bool":  # an any-of group
        return "(" + " or ".join(_kql(c) for c in spec.get("should", [])) + ")"
    (name, value), = spec.items()
    if op == "wildcard":
        return f"{name}:{value}"
    if op == "range":
        signs = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}
        parts = [f"{name} {signs[k]} {v}" for k, v in value.items() if k in signs]
        return " and ".join(parts)
    if op == "terms":
        return f"{name}:(" + " or ".join(json.dumps(str(v)) for v in value) + ")"
    if op == "prefix":
        return f"{name}:{value}*"
    return f"{name}:{json.dumps(str(value), ensure_ascii=False)}"


def discover_url(dashboards_url: str, translation: Translation) -> str:
    """OpenSearch Dashboards Discover with the same filters (as KQL) and time range."""
    query = translation.dsl["query"]["bool"]
    time_filter, *others = query["filter"]
    (_, bounds), = time_filter["range"].items()
    kql = " and ".join([_kql(c) for c in others] + [f"not ({_kql(c)})" for c in query.get("must_not", [])])
    state = (f"_g=(time:(from:{_rison(bounds['gte'])},to:{_rison(bounds['lte'])}))"
             f"&_a=(query:(language:kuery,query:{_rison(kql)}))")
    return f"{dashboards_url.rstrip('/')}/app/discover#/?{quote(state, safe='=&:(),!')}"


def _table(name: str, buckets: list[Bucket]) -> str:
    rows = [f"{b.key} | {b.value if b.value is not None else '–'}" for b in buckets[:SHOWN_BUCKETS]]
    more = f"\n… {len(buckets) - SHOWN_BUCKETS} more" if len(buckets) > SHOWN_BUCKETS else ""
    return f"{name}:\n" + "\n".join(rows) + more


NOT_UNDERSTOOD = "Not taken into account: "


def needs_llm(card: Card) -> bool:
    """Whether the rules left words of the question unused (then the LLM may add what they mean)."""
    return NOT_UNDERSTOOD in card.text and "rules + LLM" not in card.footer


def logs_card(translation: Translation, answer: SearchAnswer | None, config: OpenSearchSettings,
              error: str = "") -> Card:
    bounds = translation.dsl["query"]["bool"]["filter"][0]["range"]
    (_, window), = bounds.items()
    sections = ["Understood: " + ("; ".join(translation.understood) or "nothing specific")]
    if translation.not_understood:
        sections.append(NOT_UNDERSTOOD + ", ".join(translation.not_understood))
    if answer is not None:
        if answer.hits:
            sections.append("```\n" + "\n".join(answer.hits) + "\n```")
        sections += [_table(name, buckets) for name, buckets in answer.aggregations.items()]
    sections.append("Query (`_search` body):\n```json\n" + json.dumps(translation.dsl, indent=1, ensure_ascii=False)
                    + "\n```")
    fields = [CardField(name="index", value=translation.index),
              CardField(name="from", value=window["gte"][:19]), CardField(name="to", value=window["lte"][:19])]
    if answer is not None:
        fields.append(CardField(name="hits", value=f"{answer.total:,}"))
    links = [Link(title="Open in Discover", url=discover_url(config.dashboards_url, translation))] \
        if config.dashboards_url else []
    footer = " · ".join(p for p in ("rules + LLM" if translation.used_llm else "rules", translation.llm_note,
                                    f"{answer.took_ms} ms in OpenSearch" if answer else "") if p)
    return Card(kind=CardKind.logs, status=CardStatus.degraded if error else CardStatus.done,
                severity=Severity.warning if error else Severity.info, title=f"Logs: {translation.question[:120]}",
                summary=error or (f"{answer.total:,} matching log lines" if answer else ""),
                text="\n\n".join(sections), fields=fields, links=links, footer=footer,
                unavailable=[Unavailable(source="opensearch", reason=error)] if error else [])


def _error_card(question: str, message: str) -> Card:
    return Card(kind=CardKind.logs, status=CardStatus.degraded, severity=Severity.warning,
                title=f"Logs: {question[:120]}", summary=message, text=USAGE,
                unavailable=[Unavailable(source="opensearch", reason=message)])


def handle_command(cmd: Command, settings: LogsNeeds, llm: LLMClient | None = None) -> Card:
    """`/logs QUESTION [--index PATTERN]`."""
    question, index = split_index(cmd.text)
    if not question:
        return Card(kind=CardKind.help, status=CardStatus.done, title="/logs", text=USAGE)
    config = settings.opensearch
    if not config.enabled:
        return _error_card(question, "OpenSearch is not configured (set opensearch.url).")
    index = index or config.index_pattern
    client = connect(config)
    try:
        translation = translate(question, fetch_fields(client, index, config), config, index=index, llm=llm)
    except LogsError as exc:
        return _error_card(question, str(exc))
    try:
        answer = run_search(client, translation, config)
    except LogsError as exc:
        return logs_card(translation, None, config, error=str(exc))
    return logs_card(translation, answer, config)


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:200] + "…"

