"""The `opsbot` CLI run in this process through Typer's CliRunner (as a process: tests/e2e/)."""

from __future__ import annotations

from click.testing import Result
from typer.testing import CliRunner

from bot.cli.main import app

runner = CliRunner()


def opsbot(*args: str, input: str | None = None) -> Result:
    """`opsbot ARGS`, with `input` on stdin."""
    return runner.invoke(app, list(args), input=input)


def redis_diagnose(*args: str) -> tuple[int, str, str]:
    """`opsbot redis diagnose ARGS`: the exit code, stdout and stderr."""
    result = opsbot("redis", "diagnose", *args)
    return result.exit_code, result.stdout, result.stderr
