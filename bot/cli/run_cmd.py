"""`opsbot up`, `opsbot web`, `opsbot worker`: run the bot."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import TYPE_CHECKING

import typer

from bot.cli.common import fail, settings_or_exit
from bot.config import Settings

if TYPE_CHECKING:
    from bot.embedded_llm import EmbeddedLLM

CHILD_STOP_TIMEOUT_S = 15.0
DEFAULT_QUEUES = "alerts,chat,collect,llm"  # bot.celery_app.ALL_QUEUES (not imported here: it builds the app)


def register(app: typer.Typer) -> None:
    app.command("up")(up)
    app.command("web")(web_command)
    app.command("worker")(worker_command)


def up(
    port: int | None = typer.Option(None, "--port", help="Web port [env OPSBOT_WEB__PORT; default 8080]"),
    concurrency: int | None = typer.Option(None, "--concurrency", help="Worker processes [default 2]"),
) -> None:
    """Run everything on this machine: the web process, a Celery worker and, when no
    OPSBOT_REDIS_URL is set, an embedded Valkey in the data directory; when no OPSBOT_LLM__URL is
    set, an embedded llama.cpp server with a small model (the `llm` extra). Ctrl-C stops it all."""
    if port is not None:
        os.environ["OPSBOT_WEB__PORT"] = str(port)
    if concurrency is not None:
        os.environ["OPSBOT_CELERY__CONCURRENCY"] = str(concurrency)
    settings = settings_or_exit()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["OPSBOT_DATA_DIR"] = str(settings.data_dir.resolve())
    valkey = None
    if not settings.redis_url:
        from bot.embedded_valkey import EmbeddedValkey

        valkey = EmbeddedValkey(settings.data_dir.resolve())
        try:
            os.environ["OPSBOT_REDIS_URL"] = valkey.start()
        except Exception as exc:
            fail(f"could not start the embedded Valkey: {exc}")
    llm_server, llm_line = _start_embedded_llm(settings)
    settings = settings_or_exit()
    children: list[subprocess.Popen[bytes]] = []
    sync: subprocess.Popen[bytes] | None = None
    stopping = False

    def _stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        for role in ("web", "worker"):
            # Own process group: Ctrl-C reaches us once and we stop the children in order.
            children.append(subprocess.Popen([sys.executable, "-m", "bot", role], start_new_session=True))
        _banner(settings, embedded=valkey is not None, llm_line=llm_line)
        # The knowledge index is refreshed beside the running bot: cards flow at once and gain
        # citations as soon as the index exists. A failure is reported and the bot keeps running.
        sync = _start_knowledge_sync(settings)
        while not stopping:
            dead = [c for c in children if c.poll() is not None]
            if dead:
                typer.echo(f"opsbot: a child process exited with code {dead[0].returncode}; stopping", err=True)
                stopping = True
                break
            time.sleep(0.2)
    finally:
        if llm_server is not None:  # first: a worker mid-call then fails fast instead of waiting for the answer
            llm_server.stop(timeout=5)
        _stop_children(children + ([sync] if sync is not None else []))
        if valkey is not None:
            valkey.stop()
    typer.echo("opsbot stopped.", err=True)
    if any(c.returncode not in (0, -signal.SIGTERM, None) for c in children) and not stopping:
        raise typer.Exit(1)


def _start_embedded_llm(settings: Settings) -> tuple[EmbeddedLLM | None, str]:
    """With no LLM server configured, start the embedded llama.cpp server and point the children at
    it (OPSBOT_LLM__URL). Without the `llm` extra the bot runs without explanations. Returns the
    server and the banner line."""
    llm = settings.llm
    none = "  LLM: none (cards carry no LLM explanation)"
    if llm.url:
        return None, f"  LLM: {llm.url}" + ("" if llm.enabled else " (disabled)")
    if not llm.enabled or not llm.embedded.enabled:
        return None, none
    from bot.embedded_llm import EmbeddedLLM, EmbeddedLLMUnavailable

    server = EmbeddedLLM(llm.embedded, settings.data_dir.resolve())
    try:
        url = server.start()
    except EmbeddedLLMUnavailable as exc:
        typer.echo(f"opsbot: no embedded LLM: {exc}", err=True)
        return None, none
    os.environ["OPSBOT_LLM__URL"] = url
    return server, f"  LLM: embedded llama.cpp ({llm.embedded.model_alias}) {url}"


def _start_knowledge_sync(settings: Settings) -> subprocess.Popen[bytes] | None:
    if not settings.knowledge.enabled:
        return None
    return subprocess.Popen([sys.executable, "-m", "bot", "knowledge", "sync"], start_new_session=True)


def _stop_children(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + CHILD_STOP_TIMEOUT_S
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _banner(settings: Settings, *, embedded: bool, llm_line: str) -> None:
    base = f"http://{settings.web.host}:{settings.web.port}"
    platforms = [p for p, on in (("slack", settings.slack.enabled), ("mattermost", settings.mattermost.enabled),
                                 ("console", settings.console_enabled)) if on]
    lines = [
        "opsbot is up",
        f"  Alertmanager webhook: {base}/webhook/alertmanager",
        f"  health: {base}/healthz  ready: {base}/readyz  metrics: {base}/metrics",
        f"  broker/state: {'embedded Valkey ' if embedded else ''}{settings.redis_url}",
        f"  cards go to: {', '.join(platforms)}" + (f" (JSON Lines in {settings.cards_path})"
                                                    if settings.console_enabled else ""),
        llm_line,
        "  Ctrl-C stops everything.",
    ]
    typer.echo("\n".join(lines), err=True)


def web_command() -> None:
    """Run the web process only (Alertmanager webhook, Slack/Mattermost endpoints, health, metrics)."""
    settings = settings_or_exit()
    if not settings.redis_url:
        fail("OPSBOT_REDIS_URL is not set: point it at Redis, or use `opsbot up` for the embedded Valkey")
    from bot.logging_setup import setup_logging
    from bot.web import run_web

    setup_logging(settings, "web")
    run_web(settings)


def worker_command(
    queues: str = typer.Option(DEFAULT_QUEUES, "--queues", "-Q", help="Comma-separated queues to consume"),
    concurrency: int | None = typer.Option(None, "--concurrency", "-c", help="Worker processes [default 2]"),
    pool: str = typer.Option("prefork", "--pool", help="Celery pool: prefork, threads or solo"),
) -> None:
    """Run a Celery worker (scale out by running more of them, on any host that reaches Redis)."""
    settings = settings_or_exit()
    if not settings.redis_url:
        fail("OPSBOT_REDIS_URL is not set: point it at Redis, or use `opsbot up` for the embedded Valkey")
    from bot.celery_app import celery_app
    from bot.logging_setup import setup_logging

    setup_logging(settings, "worker")
    celery_app.worker_main([
        "worker", "--queues", queues, "--concurrency", str(concurrency or settings.celery.concurrency),
        "--pool", pool, "--loglevel", settings.log_level, "--without-gossip", "--without-mingle",
        "--without-heartbeat", "--hostname", f"opsbot-{os.getpid()}@%h",
    ])
