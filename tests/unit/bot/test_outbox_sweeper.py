"""The outbox's sweeper thread survives a sweep that fails with something other than a Redis error
(a broker reconnecting under a redelivery): the next sweep runs."""

from __future__ import annotations

import threading
from typing import cast

from bot.outbox import Outbox, start_sweeper


class Lock:
    """Stands in for Redis's SET NX: every sweep may run until the test has seen enough."""

    def __init__(self, done: threading.Event) -> None:
        self.done = done

    def set(self, *_: object, **__: object) -> bool:
        return not self.done.is_set()


def test_the_sweeper_thread_outlives_a_sweep_that_fails() -> None:
    swept = threading.Event()
    calls: list[int] = []

    class Flaky:
        redis = Lock(swept)

        def sweep(self, redeliver: object) -> dict[str, int]:
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("connection reset while publishing")
            swept.set()
            return {"requeued": 0, "redelivered": 0}

    thread = start_sweeper(cast(Outbox, Flaky()), lambda key, channel: None, interval_s=0.02)
    assert swept.wait(5) and thread.is_alive() and len(calls) >= 2
