"""Run the real bot processes (web + Celery worker) for end-to-end tests, as `opsbot up` would."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.paths import REPO
from tests.support.servers import free_port, http_ok, wait_until


@dataclass
class BotStack:
    web_url: str
    data_dir: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def cards_file(self) -> Path:
        return self.data_dir / "cards.jsonl"

    def card_events(self) -> list[dict[str, Any]]:
        if not self.cards_file.exists():
            return []
        return [json.loads(line) for line in self.cards_file.read_text().splitlines() if line.strip()]

    def wait_for_events(self, check: Callable[[list[dict[str, Any]]], bool],
                        timeout: float = 30.0) -> list[dict[str, Any]]:
        wait_until(lambda: check(self.card_events()), timeout=timeout, what="console card events")
        return self.card_events()

    def start_worker(self, name: str = "worker", *args: str) -> subprocess.Popen[bytes]:
        proc = _spawn(["worker", *args], self.env, self.data_dir / f"{name}.log")
        self.processes[name] = proc
        return proc

    def post_webhook(self, payload: dict[str, Any], headers: dict[str, str] | None = None) -> str:
        """Send a webhook as Alertmanager would; return the receiver's `status`."""
        request = urllib.request.Request(f"{self.web_url}/webhook/alertmanager", data=json.dumps(payload).encode(),
                                         headers={"Content-Type": "application/json", **(headers or {})})
        with urllib.request.urlopen(request, timeout=5) as resp:
            return str(json.loads(resp.read())["status"])

    def post_form(self, path: str, body: str, headers: dict[str, str]) -> tuple[int, Any]:
        """POST a form (a chat platform's slash command); return the status and the JSON answer."""
        request = urllib.request.Request(f"{self.web_url}{path}", data=body.encode(), headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def log(self, name: str) -> str:
        path = self.data_dir / f"{name}.log"
        return path.read_text() if path.exists() else ""


def _spawn(args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    log = open(log_path, "ab")  # noqa: SIM115 - the child keeps it; closed when the test ends
    return subprocess.Popen([sys.executable, "-m", "bot", *args], env=env, stdout=log, stderr=subprocess.STDOUT,
                            cwd=REPO, start_new_session=True)


def stack_env(redis_url: str, data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSBOT_")}
    env.update({"OPSBOT_REDIS_URL": redis_url, "OPSBOT_DATA_DIR": str(data_dir), "OPSBOT_WEB__PORT": str(free_port()),
                "OPSBOT_LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1"})
    env.update(extra or {})
    return env


@contextlib.contextmanager
def bot_stack(redis_url: str, data_dir: Path, extra_env: dict[str, str] | None = None,
              worker_args: tuple[str, ...] = ("--concurrency", "2")) -> Iterator[BotStack]:
    data_dir.mkdir(parents=True, exist_ok=True)
    env = stack_env(redis_url, data_dir, extra_env)
    stack = BotStack(web_url=f"http://127.0.0.1:{env['OPSBOT_WEB__PORT']}", data_dir=data_dir, env=env)
    try:
        stack.processes["web"] = _spawn(["web"], env, data_dir / "web.log")
        stack.start_worker("worker", *worker_args)
        try:
            wait_until(lambda: http_ok(f"{stack.web_url}/healthz"), timeout=20, what="opsbot web")
        except TimeoutError:
            raise RuntimeError(f"web did not start:\n{stack.log('web')[-3000:]}") from None
        yield stack
    finally:
        for proc in stack.processes.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 15
        for proc in stack.processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@dataclass
class UpProcess:
    """`opsbot up` as a user starts it: its own data dir, no OPSBOT_* from the test environment."""

    proc: subprocess.Popen[bytes]
    port: int
    data_dir: Path
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def post_webhook(self, payload: dict[str, Any]) -> str:
        request = urllib.request.Request(f"{self.url}/webhook/alertmanager", data=json.dumps(payload).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as resp:
            return str(json.loads(resp.read())["status"])

    def card_events(self) -> list[dict[str, Any]]:
        cards = self.data_dir / "cards.jsonl"
        return [json.loads(line) for line in cards.read_text().splitlines() if line.strip()] if cards.exists() else []


@contextlib.contextmanager
def opsbot_up(tmp_path: Path, extra_env: dict[str, str] | None = None) -> Iterator[UpProcess]:
    """Start `opsbot up`; on exit kill it if the test did not stop it (the test sends SIGINT itself)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSBOT_")}
    env.update({"OPSBOT_WEB__PORT": str(port), **(extra_env or {})})
    data_dir, log_path = tmp_path / "state", tmp_path / "up.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "--data-dir", str(data_dir), "up"], env=env,
                                stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    up = UpProcess(proc=proc, port=port, data_dir=data_dir, log_path=log_path)
    try:
        yield up
    finally:
        if up.proc.poll() is None:
            up.proc.kill()
            up.proc.wait()
