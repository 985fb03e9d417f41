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
    no_llm: bool = typer.Option(False, "--no-llm", help="Quote the sections found; do not ask the LLM"),
) -> None:
    """Answer from the runbooks, post-mortems and docs in the index. With an LLM configured
    (`llm.url`), one call writes the answer from the sections found, in the language of the
    question; without one, the best sections are quoted. When nothing relevant is found the answer
    says so and lists the nearest documents."""
    from handlers.ask import AskAnswerCache, ask
    from knowledge.errors import KnowledgeError
    from knowledge.service import index_exists

    settings = settings_or_exit()
    if not index_exists(settings):
        fail("nothing is indexed yet: run `opsbot knowledge ingest PATH` or `opsbot knowledge sync` first")
    llm = None
    if settings.llm.configured and not no_llm:
        from integrations.llm.client import LLMClient

        llm = LLMClient(settings.llm)
    try:
        result = ask(question, settings, k=k, doc_types=doc_type or None,
                     answer_cache=AskAnswerCache.from_settings(settings), llm=llm)
    except KnowledgeError as exc:
        fail(str(exc))
    if as_json:
        print_json_line(result)
        return
    typer.echo(result.answer)
    if result.llm_note:
        typer.echo(f"  ({result.llm_note})")
    for citation in result.citations:
        typer.echo(f"  [{citation.score:.3f}] {citation.source} › {citation.section}")
