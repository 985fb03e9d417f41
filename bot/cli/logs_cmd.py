"""`opsbot logs translate|search QUESTION`: a log question -> a validated OpenSearch query (and its hits)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from bot.cli.common import fail, print_json_line, settings_or_exit

app = typer.Typer(help="Ask the logs in plain English or Russian (OpenSearch).", no_args_is_help=True)

QUESTION = typer.Argument(..., help='The question, e.g. "nginx 5xx for api.example.com in the last 3 hours"')
INDEX = typer.Option(None, "--index", help="Index pattern [default opensearch.index_pattern]")
MAPPING = typer.Option(None, "--mapping", help="JSON file: {field: type} or a _mapping answer, instead of asking "
                                               "the cluster", exists=True, dir_okay=False)
NOW = typer.Option(None, "--now", help="Take this ISO 8601 moment as now (reproducible translations)")
TZ = typer.Option(None, "--tz", help="Time zone of times in the question [default opensearch.timezone]")
NO_LLM = typer.Option(False, "--no-llm", help="Rules only; do not ask the LLM about words they left over")
AS_JSON = typer.Option(False, "--json", help="Print one JSON object")


def _prepare(question: str, index: str | None, mapping: Path | None, now: str | None, tz: str | None,
             no_llm: bool) -> tuple[Any, Any, Any]:
    from handlers.logs import LogsError, fetch_fields, translate
    from integrations.opensearch.collector import connect
    from integrations.opensearch.mapping import fields_from_mapping

    settings = settings_or_exit()
    config = settings.opensearch
    pattern = index or config.index_pattern
    moment = None
    if now:
        try:
            moment = datetime.fromisoformat(now.replace("Z", "+00:00"))
        except ValueError:
            fail(f"--now: expected an ISO 8601 time such as 2026-11-22T13:00:00Z, got {now!r}")
    if tz:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            fail(f"--tz: unknown time zone {tz!r} (expected an IANA name such as Europe/Moscow)")
    client = connect(config) if config.enabled else None
    if mapping is not None:
        try:
            fields = fields_from_mapping(json.loads(mapping.read_text()))
        except (json.JSONDecodeError, AttributeError, UnicodeDecodeError) as exc:
            fail(f"--mapping {mapping}: not a JSON object of field -> type ({exc})")
    elif client is None:
        fail("OpenSearch is not configured: set OPSBOT_OPENSEARCH__URL, or pass --mapping FILE to translate offline")
    else:
        try:
            fields = fetch_fields(client, pattern, config)
        except LogsError as exc:
            fail(str(exc))
    llm = None
    if settings.llm.configured and not no_llm:
        from integrations.llm.client import LLMClient

        llm = LLMClient(settings.llm)
    try:
        translation = translate(question, fields, config, index=pattern, now=moment, tz=tz, llm=llm)
    except LogsError as exc:
        fail(str(exc))
    return translation, client, config


def _print_translation(translation: Any) -> None:
    typer.echo("understood: " + ("; ".join(translation.understood) or "nothing specific"))
    if translation.not_understood:
        typer.echo("not taken into account: " + ", ".join(translation.not_understood))
    if translation.llm_note:
        typer.echo(f"({translation.llm_note})")
    typer.echo(json.dumps(translation.dsl, indent=2, ensure_ascii=False))


@app.command("translate")
def translate_command(question: str = QUESTION, index: str | None = INDEX, mapping: Path | None = MAPPING,
                      now: str | None = NOW, tz: str | None = TZ, no_llm: bool = NO_LLM,
                      as_json: bool = AS_JSON) -> None:
    """Print the `_search` body for a question, validated against the index's mapping (fields that
    exist, operators that fit their types, a time range, a size cap). Nothing is searched.
    `--json` prints {"dsl", "index", "understood", "not_understood", "used_llm"}."""
    translation, _, _ = _prepare(question, index, mapping, now, tz, no_llm)
    if as_json:
        print_json_line(translation.model_dump(include={"dsl", "index", "understood", "not_understood", "used_llm",
                                                         "llm_note"}))
    else:
        _print_translation(translation)


@app.command("search")
def search_command(question: str = QUESTION, index: str | None = INDEX, now: str | None = NOW, tz: str | None = TZ,
                   no_llm: bool = NO_LLM, as_json: bool = AS_JSON) -> None:
    """Translate, dry-run with `_validate/query`, search, and print the hits and aggregations."""
    from handlers.logs import LogsError, run_search

    translation, client, config = _prepare(question, index, None, now, tz, no_llm)
    try:
        answer = run_search(client, translation, config)
    except LogsError as exc:
        fail(str(exc), code=1)
    if as_json:
        print_json_line({**translation.model_dump(include={"dsl", "index", "understood", "not_understood",
                                                           "used_llm"}), **answer.model_dump()})
        return
    _print_translation(translation)
    typer.echo(f"{answer.total:,} hits ({answer.took_ms} ms)")
    for line in answer.hits:
        typer.echo(f"  {line}")
    for name, buckets in answer.aggregations.items():
        typer.echo(f"{name}:")
        for bucket in buckets:
            typer.echo(f"  {bucket.key}\t{bucket.value}")
