"""`opsbot ask QUESTION`: an answer from the knowledge base, with citations."""

from __future__ import annotations

import typer

from bot.cli.common import fail, print_json_line, settings_or_exit


def register(app: typer.Typer) -> None:
    app.command("ask")(ask_command)


def ask_command(
    question: str = typer.Argument(..., help="The question, in English or Russian"),
    k: int | None = typer.Option(None, "--k", min=1, max=10, help="Sections to draw on [default knowledge.ask_k]"),
    doc_type: list[str] = typer.Option([], "--doc-type", help="Only these document types (repeatable)"),
    as_json: bool = typer.Option(False, "--json", help='Print {"answer", "citations", "used_llm", ...} as JSON'),
) -> None:
    """Answer from the runbooks, post-mortems and docs in the index. When nothing relevant is found
    the answer says so and lists the nearest documents."""
    from handlers.ask import AnswerCache, ask
    from knowledge.errors import KnowledgeError
    from knowledge.service import index_exists

    settings = settings_or_exit()
    if not index_exists(settings):
        fail("nothing is indexed yet: run `opsbot knowledge ingest PATH` or `opsbot knowledge sync` first")
    try:
        result = ask(question, settings, k=k, doc_types=doc_type or None,
                     answer_cache=AnswerCache.from_settings(settings))
    except KnowledgeError as exc:
        fail(str(exc))
    if as_json:
        print_json_line(result)
        return
    typer.echo(result.answer)
    for citation in result.citations:
        typer.echo(f"  [{citation.score:.3f}] {citation.source} › {citation.section}")
