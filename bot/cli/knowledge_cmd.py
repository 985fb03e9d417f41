"""`opsbot knowledge ingest|sync|search|stats`: build and query the runbook/post-mortem index."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from pydantic import ValidationError

from bot.cli.common import fail, print_json_line, read_input, settings_or_exit
from bot.config import Settings
from knowledge.config import DOC_TYPES, DocType, KnowledgeSettings
from knowledge.errors import KnowledgeError

if TYPE_CHECKING:
    from knowledge.ingest import IngestSummary
    from knowledge.retrieval import SearchResult

app = typer.Typer(help="Runbooks, post-mortems and docs: ingest, sync, search, stats.", no_args_is_help=True)

DOC_TYPE_HELP = f"One of: {', '.join(DOC_TYPES)}"


def _settings(collection: str | None) -> Settings:
    settings = settings_or_exit()
    if collection is None:
        return settings
    try:
        knowledge = KnowledgeSettings.model_validate({**settings.knowledge.model_dump(), "collection": collection})
    except ValidationError as exc:
        fail(f"--collection {collection!r}: {exc.errors()[0]['msg']}")
    return settings.model_copy(update={"knowledge": knowledge})


def _doc_type(value: str | None) -> DocType | None:
    if value is None:
        return None
    if value not in DOC_TYPES:
        fail(f"--doc-type {value!r}: expected one of {', '.join(DOC_TYPES)}")
    return value


@app.command("ingest")
def ingest(
    paths: list[Path] = typer.Argument(..., help="Folders or files of Markdown/reStructuredText"),
    doc_type: str | None = typer.Option(None, "--doc-type", help=f"{DOC_TYPE_HELP} (front matter wins)"),
    collection: str | None = typer.Option(None, "--collection", help="Qdrant collection [default from settings]"),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON"),
) -> None:
    """Index PATHs incrementally: unchanged files cost nothing, changed ones are re-embedded,
    deleted ones disappear. Ends with a summary (files, chunks added/changed/removed, seconds)."""
    from knowledge.service import ingest_paths

    kind = _doc_type(doc_type)
    settings = _settings(collection)
    _run_ingest(lambda: ingest_paths(settings, paths, doc_type=kind, progress=not as_json), "ingested", "", as_json)


@app.command("sync")
def sync(as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON")) -> None:
    """Bring the index up to date with the bundled runbooks and the configured folders
    (knowledge.folders); `opsbot up` runs this in the background at start."""
    from knowledge.service import ensure_ingested

    settings = _settings(None)
    _run_ingest(lambda: ensure_ingested(settings), "knowledge sync:",
                "knowledge sync failed (cards will carry no citations): ", as_json)


def _run_ingest(run: Callable[[], IngestSummary], done: str, failed: str, as_json: bool) -> None:
    """Run an ingest, report skipped files on stderr and the summary on stdout; errors exit 1."""
    try:
        summary = run()
    except KnowledgeError as exc:
        fail(f"{failed}{exc}")
    for error in summary.errors:
        typer.echo(f"opsbot: skipped {error}", err=True)
    if as_json:
        print_json_line(summary)
    else:
        typer.echo(f"{done} {summary.line()}")


@app.command("search")
def search(
    query: str | None = typer.Argument(None, help="What to look for (omit with --batch)"),
    k: int = typer.Option(5, "--k", min=1, max=100, help="Number of documents"),
    doc_type: str | None = typer.Option(None, "--doc-type", help=DOC_TYPE_HELP),
    service: str | None = typer.Option(None, "--service", help="Only documents for this service"),
    batch: str | None = typer.Option(None, "--batch", help="File with one query per line ('-' for stdin)"),
    collection: str | None = typer.Option(None, "--collection", help="Qdrant collection [default from settings]"),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list (one line per query with --batch)"),
) -> None:
    """Hybrid search (dense + BM25, fused with RRF): the best chunk of each matching document."""
    from knowledge.service import open_retriever

    if (query is None) == (batch is None):
        fail("give either a QUERY or --batch FILE")
    queries = [query] if query is not None else [q.strip() for q in read_input(batch or "-").splitlines() if q.strip()]
    kind = _doc_type(doc_type)
    settings = _settings(collection)
    try:
        retriever = open_retriever(settings)
    except KnowledgeError as exc:
        fail(str(exc))
    try:
        for text in queries:
            results = retriever.search(
                text, k, doc_types=[kind] if kind else None, services=[service] if service else None
            )
            if as_json or batch is not None:
                print_json_line([r.public() for r in results])
            else:
                _print_results(text, results)
    except KnowledgeError as exc:
        fail(str(exc))
    finally:
        retriever.store.close()


def _print_results(query: str, results: list[SearchResult]) -> None:
    if not results:
        typer.echo(f"no results for {query!r}")
    for n, r in enumerate(results, 1):
        where = f"{r.source} — {r.title}" + (f" › {r.section}" if r.section else "")
        typer.echo(f"{n}. [{r.score:.4f}] {where}")
        snippet = " ".join(r.text.split())
        typer.echo(f"   {snippet[:200]}{'…' if len(snippet) > 200 else ''}")


@app.command("stats")
def stats(
    collection: str | None = typer.Option(None, "--collection", help="Qdrant collection [default from settings]"),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON"),
) -> None:
    """What is indexed: chunks and files, by doc type and by ingested root."""
    from knowledge.backends import open_store

    settings = _settings(collection)
    try:
        store = open_store(settings.knowledge, settings.data_dir)
        try:
            result = store.stats()
        finally:
            store.close()
    except KnowledgeError as exc:
        fail(str(exc))
    if as_json:
        print_json_line(result)
        return
    typer.echo(f"{result.backend} collection {result.collection}: {result.chunks} chunks in {result.files} files")
    for name, count in sorted(result.by_doc_type.items()):
        typer.echo(f"  {name}: {count} chunks")
    for name, count in sorted(result.by_root.items()):
        typer.echo(f"  {name}: {count} chunks")
