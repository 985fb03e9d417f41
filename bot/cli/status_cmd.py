"""`opsbot status`: is the bot up, and is each of its components (broker, LLM, embeddings, index)?"""

from __future__ import annotations

import typer

from bot.cli.common import print_json_line, settings_or_exit

ICON = {"ok": "✓", "down": "✗", "off": "-"}


def register(app: typer.Typer) -> None:
    app.command("status")(status)


def status(as_json: bool = typer.Option(False, "--json", help="print one JSON object")) -> None:
    """Check every component the way /readyz does: the broker, the LLM server, the embedding server and
    the knowledge index (with the `opsbot up` of this data dir when one runs). Exit code 1 when the
    broker does not answer (no card can be delivered); a down LLM or index is reported, not fatal."""
    from bot.health import check_health
    from bot.services_file import read_services

    settings = settings_or_exit()
    health = check_health(settings)
    running = read_services(settings.data_dir)
    if as_json:
        print_json_line({"ready": health.ready, "opsbot_up_pid": running.pid if running else None,
                         "components": [c.model_dump() for c in health.components]})
    else:
        where = f"running, pid {running.pid}" if running else f"not running for {settings.data_dir}"
        typer.echo(f"opsbot up: {where}")
        for c in health.components:
            typer.echo(f"  {ICON[c.state]} {c.name:<11} {c.state:<5} {c.detail}")
    if not health.ready:
        raise typer.Exit(1)
