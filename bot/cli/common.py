"""Helpers shared by CLI commands: settings loading with readable errors, JSON output, input files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer
from pydantic import BaseModel

from bot.config import ConfigError, Settings, load_settings
from bot.services_file import apply_running_services


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a one-line error (never a traceback) and exit."""
    typer.echo(f"opsbot: {message}", err=True)
    raise typer.Exit(code)


def settings_or_exit(*, use_running: bool = True, **overrides: Any) -> Settings:
    """The settings, or a one-line error. With `use_running`, URLs left unset are taken from the
    `opsbot up` running on the same data dir (bot.services_file)."""
    try:
        settings = load_settings(**overrides)
        if use_running and apply_running_services(settings.data_dir) is not None:
            settings = load_settings(**overrides)
        return settings
    except ConfigError as exc:
        fail(str(exc))


def read_input(path: str) -> str:
    """Read a file argument; '-' means standard input."""
    if path == "-":
        return sys.stdin.read()
    file = Path(path)
    if not file.is_file():
        fail(f"{path}: no such file")
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{path}: cannot read: {exc}")


def print_json_line(value: BaseModel | dict[str, Any] | list[Any]) -> None:
    """One JSON document per line, so several results form JSON Lines. Redacted like everything the bot
    posts: a card as a card (every field, links decoded), anything else string by string."""
    from core.cards import Card
    from integrations.chat import redact_card
    from integrations.redaction import redact_data

    if isinstance(value, Card):
        typer.echo(redact_card(value).model_dump_json())
    elif isinstance(value, BaseModel):
        typer.echo(json.dumps(redact_data(value.model_dump(mode="json")), ensure_ascii=False, separators=(",", ":")))
    else:
        typer.echo(json.dumps(redact_data(json.loads(json.dumps(value, default=str))), ensure_ascii=False))


def print_card(card: Any, channel: str) -> None:
    """A card rendered for the terminal, redacted first as every chat channel does."""
    from rich.console import Console

    from integrations.chat import redact_card
    from integrations.console import render_console

    Console().print(render_console(redact_card(card), channel))
