"""Images on cards: a PNG travels in `Image.url` as a `data:image/png;base64,` URL (a graph the
collect queue drew), so the card stays one JSON document; each renderer decodes it with `png_bytes`."""

from __future__ import annotations

import base64
import binascii
import re

PNG_PREFIX = "data:image/png;base64,"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_PNG_BYTES = 200_000
_PNG_DATA = re.compile(r"^data:image/png;base64,([A-Za-z0-9+/=]+)$")


def png_data_url(png: bytes) -> str:
    return PNG_PREFIX + base64.b64encode(png).decode("ascii")


def png_bytes(url: str, max_bytes: int = MAX_PNG_BYTES) -> bytes | None:
    """The PNG a data URL holds, or None: another kind of URL, not base64, not a PNG, or too large."""
    match = _PNG_DATA.match(url)
    if not match or len(match.group(1)) > max_bytes * 4 // 3 + 4:
        return None
    try:
        data = base64.b64decode(match.group(1), validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if data.startswith(PNG_MAGIC) else None
