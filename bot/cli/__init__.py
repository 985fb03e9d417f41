"""The `opsbot` command line. Each command group lives in its own module of this package."""

from bot.cli.main import main

__all__ = ["main"]
