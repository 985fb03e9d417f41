"""`opsbot embeddings serve`: one process of this host serves the embedded model to the others."""

from __future__ import annotations

import typer

from bot.cli.common import settings_or_exit

app = typer.Typer(help="The embedding server `opsbot up` runs (one copy of the model per host).",
                  no_args_is_help=True)


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (keep it loopback)"),
    port: int = typer.Option(..., "--port", min=1, max=65535, help="Port to listen on"),
    batch_size: int = typer.Option(32, "--batch-size", min=1, help="Texts per model batch"),
) -> None:
    """Load all-MiniLM-L6-v2 once, then answer OpenAI-style `POST /v1/embeddings` and `GET /health`.
    Point other processes at it with OPSBOT_KNOWLEDGE__EMBEDDED_URL=http://HOST:PORT/v1 (`opsbot up`
    does this itself)."""
    from bot.embedding_server import serve as run
    from bot.logging_setup import setup_logging

    setup_logging(settings_or_exit(), "embeddings")
    run(host, port, batch_size)
