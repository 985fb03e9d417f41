"""Columns of kubectl's tables (tabwriter output): header positions, tolerant of widths and truncation.

kubectl pads every column to its widest cell plus at least two spaces (describe) or three (get), so a
run of two or more spaces separates cells, and a header word's position is where its column starts.
When a row has fewer cells than the header (empty cells), each cell goes to the column whose start it
reaches; with more cells, the last column (a message with double spaces) takes the rest of the line.
"""

from __future__ import annotations

import re

_GAP = re.compile(r"\s{2,}")
_DASHES = re.compile(r"^\s*-{2,}(\s+-{2,})*\s*$")
_AGE_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|d|h|m|s|y)")
_AGE = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|d|h|m|s|y))+$")
_SECONDS = {"y": 365 * 86400.0, "d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def header_columns(header: str) -> list[tuple[str, int]]:
    """(name, start) of every column: cells of the header separated by two or more spaces."""
    columns: list[tuple[str, int]] = []
    position = 0
    for cell in _GAP.split(header.rstrip()):
        if not cell.strip():
            position += len(cell)
            continue
        start = header.index(cell, position)
        columns.append((cell.strip(), start))
        position = start + len(cell)
    return columns


def is_dashes(line: str) -> bool:
    return bool(_DASHES.match(line))


def split_row(line: str, columns: list[tuple[str, int]]) -> dict[str, str]:
    """One row as {column name: cell}."""
    names = [name for name, _ in columns]
    cells = _cells(line)
    if len(cells) == len(names):
        return dict(zip(names, (c for c, _ in cells), strict=True))
    if len(cells) > len(names) and names:  # the last column (a message) had double spaces in it
        head = [c for c, _ in cells[:len(names) - 1]]
        return dict(zip(names, [*head, "  ".join(c for c, _ in cells[len(names) - 1:])], strict=True))
    words = line.split()
    if len(words) == len(names):  # single spaces only (re-typed or squeezed by the chat client)
        return dict(zip(names, words, strict=True))
    # fewer cells than columns: some are empty; a cell that starts at or past the next column's start
    # leaves the column before it empty, as long as enough columns remain for the cells still to come
    row = dict.fromkeys(names, "")
    column = 0
    for k, (cell, start) in enumerate(cells):
        while (column < len(names) - 1 and len(cells) - k < len(names) - column
               and start >= columns[column + 1][1] - 1):
            column += 1
        if column >= len(names):
            break
        row[names[column]] = cell
        column += 1
    return row


def _cells(line: str) -> list[tuple[str, int]]:
    """Cells separated by two or more spaces, with where each starts."""
    return [(m.group(0), m.start()) for m in re.finditer(r"\S+(?: \S+)*", line)]


def age_seconds(text: str) -> float | None:
    """`3m12s`, `2d4h`, `45s`, `10m` -> seconds; `<unknown>`, `<invalid>` -> None."""
    word = text.strip().split(" ", 1)[0]
    if not _AGE.match(word):
        return None
    return sum(float(n) * _SECONDS[unit] for n, unit in _AGE_PART.findall(word))


def repeat_count(text: str) -> int:
    """Describe's event age `3s (x5 over 1m)`: 5; otherwise 1."""
    match = re.search(r"\(x(\d+) over", text)
    return int(match.group(1)) if match else 1


def leading_int(text: str) -> int | None:
    """`5 (2m ago)` -> 5, `3/3` -> 3."""
    match = re.match(r"\s*(\d+)", text)
    return int(match.group(1)) if match else None
