"""`opsbot k8s diagnose --input FILE|-`: diagnose saved kubectl output with the triage analyzers."""

from __future__ import annotations

import typer

from bot.cli.common import fail, print_card, print_json_line, read_input

app = typer.Typer(help="Kubernetes diagnosis of saved kubectl output: findings, read-only next steps, fixes.",
                  no_args_is_help=True)


@app.command("diagnose")
def diagnose(
    input_file: str = typer.Option(..., "--input", help="saved kubectl output: describe, get (-o yaml|json, tables), "
                                   "events, logs, top, in any mix ('-' for stdin)"),
    as_json: bool = typer.Option(False, "--json", help='print {"primary", "summary", "findings": [...], "steps", '
                                 '"fixes", "read", "not_read", "trimmed"} as JSON'),
) -> None:
    """Cut the paste into its parts, read each with its kind's parser, and run the same analyzers as alert
    triage: the primary problem first, each finding with the lines it rests on, what could not be read."""
    from handlers.k8s import diagnose_paste, diagnosis_card

    text = read_input(input_file)
    diagnosis = diagnose_paste(text)
    if not diagnosis.pasted.recognised:
        fail(f"{input_file}: nothing in it was recognised as kubectl output")
    if as_json:
        print_json_line(diagnosis.as_json())
        return
    print_card(diagnosis_card(diagnosis), "k8s")
