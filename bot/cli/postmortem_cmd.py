"""`opsbot postmortem summarize FILE`: the structured summary of a post-mortem document."""

from __future__ import annotations

import typer

from bot.cli.common import print_card, print_json_line, read_input

app = typer.Typer(help="Post-mortems: structured summaries.", no_args_is_help=True)


@app.command("summarize")
def summarize_command(
    file: str = typer.Argument(..., help="Markdown, reStructuredText or plain text ('-' for stdin)"),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON"),
) -> None:
    """What happened, impact, root cause, detection, resolution, timeline, action items with owners and
    lessons: every section the document has, each cut to a budget, all taken from the document."""
    from handlers.postmortem import summarize, summary_card

    summary = summarize(read_input(file), source=file)
    if as_json:
        print_json_line(summary)
    else:
        print_card(summary_card(summary), "postmortem")
