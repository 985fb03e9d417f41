"""`opsbot redis diagnose`: diagnose a Redis instance live, or from saved redis-cli output and logs."""

from __future__ import annotations

import typer
from pydantic import ValidationError

from bot.cli.common import fail, print_card, print_json_line, read_input, settings_or_exit

app = typer.Typer(help="Redis diagnosis: latency, memory, replication, clients.", no_args_is_help=True)


@app.command("diagnose")
def diagnose(
    url: str | None = typer.Option(
        None, "--url", help="redis://user:password@host:port/db (credentials optional; rediss:// for TLS)"),
    instance: str | None = typer.Option(None, "--instance", help="a configured instance (redis_diagnosis.instances)"),
    info: list[str] = typer.Option(
        [], "--info", help="saved INFO output ('-' for stdin); repeat it for a master and its replica"),
    replica_info: list[str] = typer.Option(
        [], "--replica-info", help="saved INFO of a replica (or of the master) diagnosed together with --info"),
    slowlog: str | None = typer.Option(None, "--slowlog", help="saved `redis-cli SLOWLOG GET` output"),
    latency: str | None = typer.Option(None, "--latency", help="saved `redis-cli LATENCY LATEST` output"),
    log: str | None = typer.Option(None, "--log", help="a Redis log excerpt"),
    symptom: str = typer.Option("", "--symptom", help="what users see, e.g. 'timeouts' or 'OOM errors'"),
    interval: float | None = typer.Option(None, "--interval", min=0, help="seconds between the two INFO samples"),
    as_json: bool = typer.Option(False, "--json", help='print {"primary", "summary", "symptom", "findings": [...]} '
                                 "as JSON: everything the card shows"),
) -> None:
    """Name the problem with evidence, a fix and a documentation link. Live mode sends only read-only
    commands from a fixed allowlist."""
    from handlers.redis import UnknownInstance, diagnose_instance, diagnose_url, diagnosis_card, diagnosis_json
    from integrations.redis.analyzer import analyze
    from integrations.redis.client import RedisUnavailable
    from integrations.redis.config import RedisInstance, redact_url
    from integrations.redis.models import Diagnosis, Snapshot
    from integrations.redis.parsers import PasteError, parse_infos, parse_latency_text, parse_log, parse_slowlog_text

    files = {"--info": info or replica_info, "--slowlog": slowlog, "--latency": latency, "--log": log}
    modes = [m for m, on in (("--url", url), ("--instance", instance), ("files", any(files.values()))) if on]
    if len(modes) != 1:
        fail("give exactly one of --url, --instance, or saved output (--info/--slowlog/--latency/--log)")
    config = settings_or_exit().redis_diagnosis
    diagnosis: Diagnosis
    target = ""
    try:
        if instance:
            target = instance
            diagnosis = diagnose_instance(instance, config, symptom=symptom, interval_s=interval)
        elif url:
            target = redact_url(url)
            try:
                live = RedisInstance(url=url)
            except ValidationError as exc:
                fail(f"--url: {exc.errors()[0]['msg']}")
            diagnosis = diagnose_url(live, config, name=target, symptom=symptom, interval_s=interval)
        else:
            target = "(saved output)"
            snapshot = Snapshot(source="pasted")
            infos = []
            for path in [*info, *replica_info]:  # each file may hold one INFO output or several
                found = parse_infos(read_input(path))
                if not found:
                    fail(f"{path}: no INFO fields found (expected lines such as used_memory:12345)")
                infos += found
            if infos:
                snapshot.info, snapshot.peers = infos[0], infos[1:]
            if slowlog:
                snapshot.slowlog = parse_slowlog_text(read_input(slowlog))
            if latency:
                snapshot.latency = parse_latency_text(read_input(latency))
            if log:
                snapshot.log = parse_log(read_input(log))
                if not snapshot.log:
                    fail(f"{log}: no Redis log lines found (expected 'PID:M DD Mon YYYY HH:MM:SS.mmm * message')")
            diagnosis = analyze(snapshot, config.thresholds, symptom)
    except UnknownInstance as exc:
        fail(str(exc.args[0]))
    except RedisUnavailable as exc:
        fail(f"cannot reach Redis {target}: {exc}")
    except PasteError as exc:
        fail(str(exc))
    card = diagnosis_card(diagnosis, target=target)
    if as_json:
        print_json_line(diagnosis_json(diagnosis, card))
        return
    print_card(card, "redis")
