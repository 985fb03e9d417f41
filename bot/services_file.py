"""`<data dir>/services.json`: where `opsbot up`'s embedded services listen, for other terminals.

The embedded Valkey, llama.cpp and embedding servers get loopback ports at start. `opsbot up`
writes their URLs here (with its pid); `opsbot ask|llm check|status|...` with the same data dir
read them, so a second terminal talks to the running bot instead of silently running without it.
A file whose `opsbot up` is gone is ignored. Explicit settings (env, YAML, flags) always win.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from pydantic import BaseModel, ValidationError

SERVICES_FILE = "services.json"

# Which setting each service URL fills, as the environment variable the settings read.
ENV_OF = {"redis_url": "OPSBOT_REDIS_URL", "llm_url": "OPSBOT_LLM__URL",
          "embedded_url": "OPSBOT_KNOWLEDGE__EMBEDDED_URL"}


class Services(BaseModel):
    pid: int
    web_url: str = ""
    redis_url: str = ""
    llm_url: str = ""
    embedded_url: str = ""

    def env(self) -> dict[str, str]:
        found = self.model_dump(include=set(ENV_OF))
        return {ENV_OF[name]: url for name, url in found.items() if url}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def write_services(data_dir: Path, services: Services) -> None:
    path = data_dir / SERVICES_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(services.model_dump_json(indent=1))
    tmp.replace(path)  # atomic: a reader never sees half a file


def read_services(data_dir: Path) -> Services | None:
    """The running `opsbot up`'s services, or None (no file, unreadable, or its process is gone)."""
    try:
        services = Services.model_validate_json((data_dir / SERVICES_FILE).read_text())
    except (OSError, ValidationError, ValueError):
        return None
    return services if _alive(services.pid) else None


def remove_services(data_dir: Path) -> None:
    with contextlib.suppress(OSError):
        (data_dir / SERVICES_FILE).unlink()


def apply_running_services(data_dir: Path) -> Services | None:
    """Fill unset OPSBOT_* URLs from the running `opsbot up` of this data dir; returns what was found."""
    services = read_services(data_dir)
    if services is None:
        return None
    for name, url in services.env().items():
        os.environ.setdefault(name, url)
    return services
