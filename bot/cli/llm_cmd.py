"""`opsbot llm check|audit`: is the LLM server usable, and what did the bot ask it."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import typer

from bot.cli.common import fail, print_json_line, settings_or_exit

app = typer.Typer(help="The LLM server: check it, read the audit log of calls.", no_args_is_help=True)

CHECK_SCHEMA = {"type": "object", "properties": {"status": {"type": "string", "enum": ["ok"]}},
                "required": ["status"], "additionalProperties": False}


@app.command("check")
def check(
    url: str | None = typer.Option(None, "--url", help="OpenAI-compatible base URL [env OPSBOT_LLM__URL]"),
    as_json: bool = typer.Option(False, "--json", help="print the result as one JSON object"),
) -> None:
    """Whether the configured server answers, which model it serves, and whether structured output
    (a JSON schema answer) works on it. Exit code 1 when it does not answer."""
    from integrations.llm.client import LLMClient, LLMError, Message

    settings = settings_or_exit()
    llm = settings.llm.model_copy(update={"url": url.rstrip("/")}) if url else settings.llm
    if not llm.url:
        fail("no LLM server configured: set OPSBOT_LLM__URL (or pass --url); `opsbot up` starts an embedded one")
    client = LLMClient(llm)
    report: dict[str, object] = {"url": llm.url}
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
    if as_json:
        print_json_line(report)
    else:
        for key, value in report.items():
            typer.echo(f"{key}: {value}")
    if not report.get("answers") or "error" in report:
        raise typer.Exit(1)


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
