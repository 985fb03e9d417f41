"""`opsbot config show`: the effective configuration, secrets masked."""

from __future__ import annotations

import json

import typer
import yaml

from bot.cli.common import settings_or_exit

app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True)


@app.command("show")
def show(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of YAML")) -> None:
    """Print the effective configuration (defaults, YAML file, environment) with secrets masked."""
    settings = settings_or_exit()
    # mode="json" renders SecretStr as '**********', so secrets never reach the terminal.
    data = settings.model_dump(mode="json")
    if as_json:
        typer.echo(json.dumps(data, indent=2))
    else:
        typer.echo(yaml.safe_dump(data, sort_keys=False).rstrip())
