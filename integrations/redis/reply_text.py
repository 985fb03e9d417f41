"""Read redis-cli's human output (`1) 1) (integer) 14` ...) back into nested Python lists.

redis-cli prints each array element as `N) value`, nesting by indentation and right-aligning the
index, so the column of the `)` tells which array an element belongs to.
"""

from __future__ import annotations

import re
from typing import Any

_MARKER = re.compile(r"\s*(\d+)\)\s")
_SCALAR_PREFIXES = ("(integer)", "(double)", "(nil)", "(empty", "(error)", '"')


class ReplyParseError(ValueError):
    """Text that is not redis-cli output."""


def is_reply_line(line: str) -> bool:
    stripped = line.lstrip()
    return bool(_MARKER.match(line)) or stripped.startswith(_SCALAR_PREFIXES)


def parse_reply(text: str) -> Any:
    """One redis-cli reply (an array or a scalar) as nested lists of int/float/str/None."""
    root: list[Any] = []
    stack: list[tuple[int, list[Any]]] = [(-1, root)]
    for line in text.splitlines():
        if not line.strip():
            continue
        pos, markers = 0, []
        while match := _MARKER.match(line, pos):
            markers.append(match.end(1))  # column of the ')' closing this index
            pos = match.end()
        if not markers:
            if root or stack[-1][1] is not root:
                raise ReplyParseError(f"not redis-cli array output: {line.strip()[:60]!r}")
            return parse_scalar(line.strip())
        for i, column in enumerate(markers):
            while stack[-1][0] >= column:
                stack.pop()
            parent = stack[-1][1]
            if i < len(markers) - 1:
                child: list[Any] = []
                parent.append(child)
                stack.append((column, child))
            else:
                parent.append(parse_scalar(line[pos:].strip()))
    return root


def parse_scalar(token: str) -> Any:
    if token.startswith("(integer) "):
        return int(token[10:])
    if token.startswith("(double) "):
        return float(token[9:])
    if token == "(nil)":
        return None
    if token.startswith("(empty"):
        return []
    if token.startswith("(error) "):
        return ReplyError(token[8:])
    if len(token) >= 2 and token[0] == '"' and token[-1] == '"':
        return _unquote(token[1:-1])
    return token


class ReplyError(str):
    """An `(error) ...` element."""


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "a": "\a", "b": "\b", '"': '"', "\\": "\\"}


def _unquote(body: str) -> str:
    # redis-cli escapes with \n \r \t \a \b \" \\ and \xHH per byte (sdscatrepr); decode those bytes as UTF-8.
    out, i = bytearray(), 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "x" and i + 3 < len(body):
                try:
                    out.append(int(body[i + 2:i + 4], 16))
                    i += 4
                    continue
                except ValueError:
                    pass
            out += _ESCAPES.get(nxt, nxt).encode()
            i += 2
            continue
        out += ch.encode()
        i += 1
    return out.decode("utf-8", errors="replace")
