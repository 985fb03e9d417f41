"""`opsbot triage FILE...`: run the triage handler on webhook payloads from files or stdin."""

from __future__ import annotations

import typer

from bot.cli.common import fail, print_card, print_json_line, read_input, settings_or_exit
from core.events import InvalidPayload, parse_alert_group


def register(app: typer.Typer) -> None:
    app.command("triage")(triage)


def triage(
    files: list[str] = typer.Argument(..., help="Alertmanager webhook JSON files ('-' for stdin)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Build the cards but post nothing"),
    as_json: bool = typer.Option(False, "--json", help="Print each card as one line of JSON (JSON Lines)"),
) -> None:
    """Build the triage card for each payload, in order; post it to the configured channels
    unless --dry-run. A bad file stops with a message naming it and the field."""
    from handlers.enrichers.registry import build_enrichers
    from handlers.triage import enrich, enriched_card, first_card

    settings = settings_or_exit()
    enrichers = build_enrichers(settings)
    channels = {}
    if not dry_run:
        from bot.runtime import build_channels

        channels = build_channels(settings)
    for path in files:
        try:
            group = parse_alert_group(read_input(path))
        except InvalidPayload as exc:
            fail(f"{path}: {exc}")
        card = enriched_card(first_card(group), enrich(
            group, enrichers, per_source_s=settings.triage.per_source_timeout_s,
            total_s=settings.triage.total_budget_s))
        if as_json:
            print_json_line(card)  # redacted there, as every channel redacts what it posts
        else:
            print_card(card, "dry-run" if dry_run else "triage")
        for name in settings.routing.channels_for(group.commonLabels) if not dry_run else []:
            for platform, chat in channels.items():
                if platform != "console":
                    ref = chat.post(name, card)
                    typer.echo(f"posted to {platform} #{name} ({ref.post_id})", err=True)
