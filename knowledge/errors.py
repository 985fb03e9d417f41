"""One base class for every knowledge-base failure, so callers (`opsbot up`, the CLI) catch one type."""

from __future__ import annotations


class KnowledgeError(Exception):
    """Ingestion or retrieval failed; the message names the file, server or setting and why."""
