"""Kubernetes resource quantities (`256Mi`, `1.5Gi`, `500m`, `2`) as numbers: bytes and millicores."""

from __future__ import annotations

import re

_SUFFIX = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
           "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18, "": 1}
_QUANTITY = re.compile(r"^\s*([0-9]*\.?[0-9]+)([KMGTPE]i|[kKMGTPE]|m|n|u)?\s*$")


def parse_bytes(value: str | None) -> float | None:
    if not value:
        return None
    match = _QUANTITY.match(value)
    if match is None or match.group(2) in ("m", "n", "u"):
        return None
    return float(match.group(1)) * _SUFFIX[match.group(2) or ""]


def parse_millicores(value: str | None) -> float | None:
    if not value:
        return None
    match = _QUANTITY.match(value)
    if match is None:
        return None
    number, suffix = float(match.group(1)), match.group(2) or ""
    return {"m": number, "n": number / 1e6, "u": number / 1e3}.get(suffix, number * 1000 if suffix == "" else None)


def format_bytes(value: float) -> str:
    return f"{value / 2**20:.0f} MiB"
