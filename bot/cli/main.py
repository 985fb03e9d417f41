"""`opsbot` entry point: global options and the command groups."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from bot.cli import (
    ask_cmd,
    ceph_cmd,
    config_cmd,
    embeddings_cmd,
    feedback_cmd,
    k8s_cmd,
    knowledge_cmd,
    llm_cmd,
    logs_cmd,
    postmortem_cmd,
    redis_cmd,
    run_cmd,
    status_cmd,
    triage_cmd,
)

app = typer.Typer(
    name="opsbot",
    help="On-prem ops assistant for the on-call channel: Alertmanager and chat in, grounded cards out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # docstrings are wrapped at 100 columns: let the terminal rewrap them
)


@app.callback()
def _global_options(
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Directory for every embedded service's state [env OPSBOT_DATA_DIR; default ./.opsbot]"
    ),
    config: Path | None = typer.Option(
        None, "--config", help="YAML configuration file [env OPSBOT_CONFIG]"
    ),
) -> None:
    # Environment, not globals: `opsbot up` starts the web and worker as child processes and they
    # must see the same settings.
    if data_dir is not None:
        os.environ["OPSBOT_DATA_DIR"] = str(data_dir)
    if config is not None:
        os.environ["OPSBOT_CONFIG"] = str(config)


app.add_typer(config_cmd.app, name="config")
app.add_typer(knowledge_cmd.app, name="knowledge")
app.add_typer(redis_cmd.app, name="redis")
app.add_typer(ceph_cmd.app, name="ceph")
app.add_typer(k8s_cmd.app, name="k8s")
app.add_typer(postmortem_cmd.app, name="postmortem")
app.add_typer(llm_cmd.app, name="llm")
app.add_typer(logs_cmd.app, name="logs")
app.add_typer(embeddings_cmd.app, name="embeddings")
app.add_typer(feedback_cmd.app, name="feedback")
status_cmd.register(app)
run_cmd.register(app)
triage_cmd.register(app)
ask_cmd.register(app)


def main() -> None:
    app()
