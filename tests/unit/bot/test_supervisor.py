"""`opsbot up`'s supervisor: a crashed service is restarted with backoff and said in the terminal;
a dead core child is reported so that `up` stops."""

from __future__ import annotations

import subprocess
import time

from bot import supervisor as sup
from bot.supervisor import Service, Supervisor, describe_exit


def _sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen(["sleep", "30"])


def _wait(check: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached")


def test_a_crashed_service_comes_back_with_growing_backoff(monkeypatch: object) -> None:
    said: list[str] = []
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        started.append(_sleeper())
        return started[-1]

    sup.BACKOFF_FIRST_S = 0.05  # type: ignore[misc]
    try:
        supervisor = Supervisor(say=said.append)
        first = _sleeper()
        service = Service(name="embedded LLM", start=start, stop=lambda: None)
        supervisor.add_service(service, first)
        first.kill()
        first.wait()
        _wait(lambda: (supervisor.tend(), len(started) == 1)[1])
        assert "embedded LLM exited (signal SIGKILL); restarting in 0.05 s (restart 1)" in said[0]
        _wait(lambda: any("embedded LLM is back" in line for line in said))
        started[0].kill()
        started[0].wait()
        _wait(lambda: (supervisor.tend(), len(started) == 2)[1])
        assert any("restarting in 0.1 s (restart 2)" in line for line in said)  # the delay doubled
    finally:
        sup.BACKOFF_FIRST_S = 1.0  # type: ignore[misc]
        for process in started:
            process.kill()
            process.wait()


def test_a_dead_core_child_is_reported_and_stop_all_ends_the_rest() -> None:
    supervisor = Supervisor(say=lambda _: None)
    alive, dead = _sleeper(), subprocess.Popen(["false"])
    dead.wait()
    supervisor.add_core("web", alive)
    supervisor.add_core("worker", dead)
    assert supervisor.dead_core() == ("worker", 1)
    supervisor.stop_all([])
    assert alive.poll() is not None


def test_exit_descriptions() -> None:
    assert describe_exit(-11) == "signal SIGSEGV"
    assert describe_exit(3) == "exit code 3"
