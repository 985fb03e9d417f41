"""`opsbot feedback export`: the verdicts people gave on cards, as evaluation cases (JSON Lines).

Read from `<data_dir>/feedback.jsonl`, the append-only record that survives a Redis flush.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from bot.cli.common import settings_or_exit

app = typer.Typer(help="Feedback on cards: export verdicts as evaluation cases.", no_args_is_help=True)


@app.command("export")
def export_command(
    out: Path | None = typer.Option(None, "--out", "-o", help="write the cases here (default: stdout)"),
    vote: str | None = typer.Option(None, "--vote", help="only this verdict: up, down or wrong_cause"),
) -> None:
    """One case per verdict: the alert, what the card said (findings, hypothesis, cited sections), the
    verdict and what the person wrote."""
    from handlers.feedback import evaluation_case, read_verdicts

    settings = settings_or_exit(use_running=False)
    cases = [evaluation_case(v) for v in read_verdicts(settings.data_dir) if vote is None or v.vote == vote]
    text = "".join(json.dumps(case, ensure_ascii=False) + "\n" for case in cases)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"{len(cases)} cases written to {out}", err=True)
