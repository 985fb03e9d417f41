"""Logging set-up: readable lines on a terminal, JSON objects (one per line) for log shippers."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from bot.config import Settings

PLAIN_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s"


def setup_logging(settings: Settings, role: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter(JSON_FIELDS, static_fields={"role": role},
                                           rename_fields={"levelname": "level", "asctime": "time"}))
    else:
        handler.setFormatter(logging.Formatter(f"{PLAIN_FORMAT.replace('%(name)s', role + ' %(name)s')}"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # Client libraries log every request at INFO; keep them to warnings.
    for noisy in ("urllib3", "slack_sdk", "slack_bolt", "mattermostdriver", "aiohttp.access", "httpx"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
