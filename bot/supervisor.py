"""What `opsbot up` runs and watches: its child processes, and the embedded services it restarts.

A *service* (the embedded llama.cpp server, the embedding server) is restarted when it exits, with
exponential backoff (1 s, 2 s, 4 s … at most 60 s; reset after a minute of healthy running), and
each restart is said in the terminal: a segfaulting model server costs the cards their explanation
for a few seconds, not for the rest of the day. A *core* child (web, workers) that exits stops
everything: that is a bug or a misconfiguration to fix, not to hide behind restarts.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 60.0
HEALTHY_AFTER_S = 60.0
STOP_TIMEOUT_S = 15.0


@dataclass
class Service:
    """A restartable service: `start` launches it and blocks until it is ready (raising if it cannot)."""

    name: str
    start: Callable[[], subprocess.Popen[bytes]]
    stop: Callable[[], None]
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0
    restart_at: float | None = None
    restarting: bool = False


@dataclass
class Supervisor:
    say: Callable[[str], None]
    core: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)

    def add_core(self, name: str, process: subprocess.Popen[bytes]) -> None:
        self.core[name] = process

    def add_service(self, service: Service, process: subprocess.Popen[bytes]) -> None:
        service.process, service.started_at = process, time.monotonic()
        self.services[service.name] = service

    def dead_core(self) -> tuple[str, int] | None:
        for name, process in self.core.items():
            if process.poll() is not None:
                return name, process.returncode
        return None

    def tend(self) -> None:
        """Called every fraction of a second: schedule and run restarts of services that exited."""
        now = time.monotonic()
        for service in self.services.values():
            if service.restarting or service.process is None:
                continue
            code = service.process.poll()
            if code is None:
                if service.restarts and now - service.started_at > HEALTHY_AFTER_S:
                    service.restarts = 0  # it has been running fine: the next crash starts the backoff over
                continue
            if service.restart_at is None:
                delay = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** service.restarts)
                service.restart_at = now + delay
                self.say(f"opsbot: {service.name} exited ({describe_exit(code)}); restarting in {delay:g} s "
                         f"(restart {service.restarts + 1})")
            elif now >= service.restart_at:
                self._restart(service)

    def _restart(self, service: Service) -> None:
        # In the calling (main) thread: a child asks to die with the thread that started it
        # (bot.child_process), so it must not be started from a thread that ends.
        service.restarting = True
        service.restarts += 1
        try:
            service.process = service.start()
            service.started_at = time.monotonic()
            service.restart_at = None
            self.say(f"opsbot: {service.name} is back")
        except Exception as exc:  # try again after the next, longer, delay
            self.say(f"opsbot: {service.name} did not come back: {exc}")
            service.restart_at = None
        finally:
            service.restarting = False

    def stop_all(self, order: list[str]) -> None:
        """Services named in `order` first (a worker mid-call then fails fast), then every core child."""
        for name in order:
            if name in self.services:
                self.services[name].stop()
        children = list(self.core.values())
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        for name, service in self.services.items():
            if name not in order:
                service.stop()


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"
