"""`opsbot llm check|audit`: is the LLM server usable, is its model competent enough for the cards
(handlers.llm.gate), and what did the bot ask it."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer

from bot.cli.common import fail, print_json_line, settings_or_exit
from integrations.llm.types import LLMError

if TYPE_CHECKING:
    import redis

    from bot.config import Settings
    from handlers.llm.gate import GateResult
    from integrations.llm.client import LLMClient

app = typer.Typer(help="The LLM server: check it and its model's competence, read the audit log of calls.",
                  no_args_is_help=True)

CHECK_SCHEMA = {"type": "object", "properties": {"status": {"type": "string", "enum": ["ok"]}},
                "required": ["status"], "additionalProperties": False}


@app.command("check")
def check(
    url: str | None = typer.Option(None, "--url", help="OpenAI-compatible base URL [env OPSBOT_LLM__URL]"),
    as_json: bool = typer.Option(False, "--json", help="print the result as one JSON object (battery included)"),
    quick: bool = typer.Option(False, "--quick", help="only whether the server answers; skip the competence check"),
    strict: bool = typer.Option(False, "--strict", help="exit code 2 when the model fails the competence check"),
    if_needed: bool = typer.Option(False, "--if-needed", help="skip the competence check when the model already "
                                   "has a current result (what `opsbot up` runs at start)"),
) -> None:
    """Check the LLM server and the model's competence.

    First whether the server answers (the URL checked is printed first), which models it serves,
    its flavour, and whether structured output (a JSON schema answer) works on it.

    Then, unless `--quick`, the competence check: a small built-in battery (triage and diagnosis
    explanations, /ask answers, /logs clauses) runs through the bot's own LLM passes, with a progress
    line per case on stderr, and each case is scored 0..1 against what a grounded answer must and
    must not say. It prints the score per task kind, the overall score, and pass or fail against
    `llm.gate_threshold`, and stores the result for the model (in Redis when one is configured, and
    in `<data dir>/llm-gate.json`). With `llm.gate: auto`, cards show LLM explanations only for a
    model that passed; run it again after changing the model.

    Exit codes: 0 when the server answers (whatever the score), 1 when it does not, 2 with
    `--strict` when the model fails the competence check.
    """
    from integrations.llm.client import LLMClient

    settings = settings_or_exit()
    llm = settings.llm.model_copy(update={"url": url.rstrip("/")}) if url else settings.llm
    if not llm.url:
        fail("no LLM server configured: set OPSBOT_LLM__URL (or pass --url); `opsbot up` starts an embedded one")
    client = LLMClient(llm)
    report = _server_report(client)
    answers = bool(report.get("answers")) and "error" not in report
    if not as_json:
        for key, value in report.items():
            typer.echo(f"{key}: {value}")
    result = None
    if answers and not quick and if_needed and _has_current_result(client, settings):
        report["battery"] = "a current result is stored for this model"
        quick = True
    if answers and not quick:
        result, report["stored"] = _competence(client, settings, quiet=as_json)
        if result is None:
            report["error"], answers = "no case of the competence check got an answer", False
        else:
            report["battery"] = result.model_dump(mode="json")
    if as_json:
        print_json_line(report)
    elif result is None and answers and not quick:
        typer.echo(f"error: {report['error']}")
    if not answers:
        raise typer.Exit(1)
    if strict and result is not None and not result.passed:
        raise typer.Exit(2)


def _server_report(client: LLMClient) -> dict[str, object]:
    """Does the server answer, what does it serve, does structured output work."""
    from integrations.llm.client import LLMError, Message

    report: dict[str, object] = {"url": client.settings.url}
    try:
        info = client.server_info()
        report |= {"answers": True, "models": info.models, "flavour": info.flavour, "owned_by": info.owned_by,
                   "model": client.model_for("triage")}
        started = time.monotonic()
        call = client.chat([Message(role="system", content='Reply with the JSON object {"status": "ok"}.'),
                            Message(role="user", content="Status?")],
                           task="check", schema=CHECK_SCHEMA, schema_name="check", max_tokens=20, use_cache=False)
        report["seconds"] = round(time.monotonic() - started, 2)
        report["ttft_s"] = None if call.ttft_s is None else round(call.ttft_s, 3)
        try:
            report["structured_output"] = json.loads(call.text).get("status") == "ok"
        except (ValueError, AttributeError):
            report["structured_output"] = False
            report["answer"] = call.text[:200]
    except LLMError as exc:
        report |= {"answers": report.get("answers", False), "error": str(exc)}
    return report


def _competence(client: LLMClient, settings: Settings, *, quiet: bool) -> tuple[GateResult | None, list[str]]:
    """Run the battery (progress on stderr), print the scores unless `quiet`, store the result."""
    from handlers.llm.gate import CaseOutcome, run_battery, save_result
    from handlers.llm.gate_battery import load_battery

    cases = load_battery()
    typer.echo(f"competence check: {len(cases)} cases, one at a time", err=True)

    def progress(i: int, total: int, outcome: CaseOutcome) -> None:
        note = "" if outcome.reason == "ok" else f"  {outcome.reason}"
        typer.echo(f"  [{i:>2}/{total}] {outcome.kind:<9} {outcome.id:<28} {outcome.score:4.2f} "
                   f"{outcome.duration_s:5.1f} s{note}", err=True)

    threshold = settings.llm.gate_threshold
    try:
        result = run_battery(client, threshold=threshold, cases=cases, on_case=progress)
    except LLMError as exc:
        typer.echo(f"competence check not run: {exc}", err=True)
        return None, []
    if all(o.status == "unavailable" for o in result.cases):
        return None, []
    stored = save_result(result, data_dir=settings.data_dir, redis_client=_redis(settings))
    if not quiet:
        typer.echo(f"competence check of {result.identity} ({len(result.cases)} cases, {result.duration_s:.0f} s):")
        for kind, score in result.scores.items():
            typer.echo(f"  {kind:<10} {score:4.2f}")
        verdict = "PASS" if result.passed else "FAIL"
        effect = ("cards show its explanations" if result.passed else "cards will not show its explanations")
        if settings.llm.gate == "off":
            effect = "llm.gate is off: cards show every validated answer anyway"
        typer.echo(f"  {'overall':<10} {result.overall:4.2f}  {verdict} (threshold {threshold:.2f}): {effect}")
        typer.echo(f"stored: {', '.join(stored) or 'nowhere (see the warnings above)'}")
    return result, stored


def _has_current_result(client: LLMClient, settings: Settings) -> bool:
    from handlers.llm.gate import client_identity, load_result

    try:
        identity, _, _ = client_identity(client)
    except LLMError:
        return False
    stored = load_result(identity, data_dir=settings.data_dir, redis_client=_redis(settings))
    return stored is not None and stored.current


def _redis(settings: Settings) -> redis.Redis | None:
    if not settings.redis_url:
        return None
    import redis

    return redis.Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=5)


@app.command("audit")
def audit(
    count: int = typer.Option(20, "--count", "-n", min=1, help="how many of the latest calls"),
    as_json: bool = typer.Option(False, "--json", help="one JSON object per call (JSON Lines)"),
) -> None:
    """The latest LLM calls, newest first: task, model, outcome, tokens, time to first token,
    decode speed, and the hash of the redacted prompt."""
    import redis

    from integrations.llm.audit import AuditLog

    settings = settings_or_exit()
    if not settings.redis_url:
        fail("OPSBOT_REDIS_URL is not set: the audit log lives in the bot's Redis")
    try:
        records = AuditLog(redis.Redis.from_url(settings.redis_url), settings.llm.audit_max_len).latest(count)
    except redis.RedisError as exc:
        fail(f"cannot read the audit log: {exc}")
    for record in records:
        if as_json:
            print_json_line(record)
            continue
        when = datetime.fromtimestamp(record.at, UTC).strftime("%Y-%m-%d %H:%M:%S")
        ttft = "-" if record.ttft_s is None else f"{record.ttft_s:.2f}s"
        speed = "-" if record.decode_tokens_per_s is None else f"{record.decode_tokens_per_s:.0f} tok/s"
        typer.echo(f"{when} {record.task:<9} {record.model:<16} {record.outcome:<11} "
                   f"prompt {record.prompt_tokens:>5} compl {record.completion_tokens:>4} ttft {ttft:>6} "
                   f"{speed:>10} {record.duration_s:6.2f}s {record.prompt_sha256[:12]} {record.detail[:60]}".rstrip())
    if not records and not as_json:
        typer.echo("no LLM calls recorded")
