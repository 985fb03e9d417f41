"""A log question as tokens (quoted phrases, IPs, comparison signs, numbers with units, paths, words)
with the function words of question_words tagged on them, and the small look-arounds the reading needs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from integrations.opensearch.question_words import (
    GLUE,
    PHRASES,
)

TOKEN_RE = re.compile(
    r"(?P<quoted>\"[^\"]+\"|«[^»]+»|“[^”]+”|„[^“”]+[“”]|`[^`]+`|(?<!\w)'[^']{2,}'(?!\w))"
    r"|(?P<ip>\b\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2}|:\d{1,5})?(?![\w.]))"
    r"|(?P<cmp>>=|<=|=>|=<|≥|≤|>|<)"
    r"|(?P<num>(?<![\w.])\d+(?:[.,]\d+)?)\s?(?P<unit>ms|мс|msec|millis(?:econds?)?|миллисекунд\w*|"
    r"seconds?|secs?|sec|s|сек(?:унд)?\w*|с|minutes?|mins?|min|минут\w*|мин|hours?|час\w*|"
    r"kib|kb|mib|mb|gib|gb|кб|мб|гб|килобайт\w*|мегабайт\w*|гигабайт\w*|bytes?|байт\w*|b|k|m)?(?![\w.])"
    r"|(?P<path>(?<![\w*])/[\w.*{}/%~:+-]*)"
    r"|(?P<word>[\w*](?:[\w.*@:/'-]*[\w*-])?)"
    r"|(?P<punct>[,;&|+=?!])",
    re.IGNORECASE)


_MAX_PHRASE = max(len(p) for p in PHRASES)


@dataclass
class Token:
    start: int
    end: int
    text: str
    kind: str  # quoted, ip, cmp, num, path, word, punct
    unit: str = ""
    tag: str = ""  # a PHRASES tag, "field", "level", or "" (a value or an unknown word)
    span: int = 1  # tokens a phrase or field mention covers
    used: bool = False

    @property
    def low(self) -> str:
        return self.text.lower()


def tokenize(text: str) -> list[Token]:
    out = []
    for match in TOKEN_RE.finditer(text):
        kind = match.lastgroup or "word"
        if kind == "unit":
            kind = "num"
        if match.group("num") is not None:
            kind = "num"
        text_ = match.group("num") if kind == "num" else match.group(0)
        if kind == "word" and text_.lower().startswith("non-") and len(text_) > 5:  # "non-normal": not normal
            out.append(Token(match.start(), match.start() + 3, text_[:3], "word"))
            out.append(Token(match.start() + 4, match.end(), text_[4:], "word"))
            continue
        out.append(Token(match.start(), match.end(), text_, kind,
                         unit=(match.group("unit") or "").lower() if kind == "num" else ""))
    return out


def tag_phrases(tokens: list[Token]) -> None:
    index = 0
    while index < len(tokens):
        for length in range(min(_MAX_PHRASE, len(tokens) - index), 0, -1):
            words = tuple(t.low for t in tokens[index:index + length])
            tag = PHRASES.get(words)
            if tag is None or (length == 1 and tokens[index].kind not in ("word", "cmp", "punct")):
                continue
            tokens[index].tag, tokens[index].span = tag, length
            for other in tokens[index + 1:index + length]:
                other.tag = "cont"
            index += length - 1
            break
        index += 1


def tokens_joined(tokens: list[Token], first: int, index: int) -> bool:
    """Whether only "or", ",", "и" and the like (at least one) stand between two tokens."""
    between = tokens[first + 1:index]
    return bool(between) and all(t.tag in ("or", "conn", "cont") or t.kind == "punct" for t in between) and \
        any(t.tag in ("or", "conn") or t.kind == "punct" for t in between)


def lookahead(tokens: list[Token], index: int) -> int | None:
    """The next token past fillers and glue words."""
    for position in range(index + 1, min(len(tokens), index + 4)):
        token = tokens[position]
        if token.tag == "cont" or (token.tag == "" and token.low in GLUE | {"the", "a"}):
            continue
        return position
    return None
