"""A log question as tokens (quoted phrases, IPs, comparison signs, numbers with units, paths, words)
with the function words of question_words tagged on them, and the small look-arounds the reading needs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.typos import one_typo_apart
from integrations.opensearch.question_words import (
    GLUE,
    PHRASES,
    RESPELLED,
    STATUS_NUMBER,
)
from integrations.opensearch.vocabulary import stem

# A path starts at the root or is a key prefix ending in "/" ("releases/", "logs/2026/"; not "w/", with).
_QUOTED_TEXT = r"\"[^\"]+\"|«[^»]+»|“[^”]+”|„[^“”]+[“”]|`[^`]+`|(?<!\w)'[^']{2,}'(?!\w)"
TOKEN_RE = re.compile(
    rf"(?P<quoted>{_QUOTED_TEXT})"
    r"|(?P<ip>\b\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2}|:\d{1,5})?(?![\w.]))"
    r"|(?P<cmp>>=|<=|=>|=<|≥|≤|>|<)"
    r"|(?P<num>(?<![\w.])\d+(?:[.,]\d+)?)(?:-?(?:х|ти|ми|ух|ех|ёх|ри)(?!\w)|-и(?!\w))?\s?(?P<unit>ms|мс|msec|millis(?:econds?)?|миллисекунд\w*|"
    r"seconds?|secs?|sec|s|сек(?:унд)?\w*|с|minutes?|mins?|min|минут\w*|мин|hours?|час\w*|"
    r"kib|kb|mib|mb|gib|gb|кб|мб|гб|килобайт\w*|мегабайт\w*|гигабайт\w*|мег(?:а|ов|ах)?|гиг(?:а|ов|ах)?|bytes?|байт\w*|b|k|m)?(?![\w.]|-[^\W\d])"
    r"|(?P<path>(?<![\w*])/[\w.*{}/%~:+-]*|(?<![\w*/.-])[\w.*-]{2,}(?:/[\w.*-]+)*/(?=[\s,;)?]|$))"
    r"|(?P<word>[\w*](?:[\w.*@:/'-]*[\w*-])?)"
    r"|(?P<punct>[,;&|+=?!:])",
    re.IGNORECASE)


_MAX_PHRASE = max(len(p) for p in PHRASES)
_WORD = re.compile(r"(?<![\w/.-])[a-z]{5,}(?![\w/.-])", re.IGNORECASE)
_QUOTED = re.compile(f"({_QUOTED_TEXT})")  # captured, so that split() keeps the quoted pieces
_RESPELLED_STEMS = frozenset(stem(word) for word in RESPELLED)
# A hyphenated word whose first part is a function word is two words ("non-normal", "per-host", "by-namespace").
SPLIT_PREFIXES = ("non", "per", "by")


def respelled(text: str) -> str:
    """The question with a function word's typo spelled right ("exlcuding" -> "excluding", "sinse" ->
    "since"); a quoted phrase stays as written, and so does a word that is one of those words in another
    form ("request", "beside")."""
    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        low = word.lower()
        if stem(low) in _RESPELLED_STEMS:
            return word
        return next((right for right in RESPELLED if one_typo_apart(low, right)), word)

    pieces = _QUOTED.split(text)  # text, quoted, text, …
    return "".join(piece if i % 2 else _WORD.sub(fix, piece) for i, piece in enumerate(pieces))


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
        head = text_.lower().partition("-")[0]
        if kind == "word" and head in SPLIT_PREFIXES and len(text_) > len(head) + 2 and text_[len(head) + 1:].isalpha():
            cut = match.start() + len(head)  # "non-normal": not normal; "per-host": per host
            out.append(Token(match.start(), cut, text_[:len(head)], "word"))
            out.append(Token(cut + 1, match.end(), text_[len(head) + 1:], "word"))
            continue
        unit = (match.group("unit") or "").lower() if kind == "num" else ""
        if unit == "с" and " " in match.group(0) and STATUS_NUMBER.fullmatch(text_):
            out.append(Token(match.start(), match.start() + len(text_), text_, "num"))  # "404 с урла": a status
            out.append(Token(match.end() - 1, match.end(), match.group(0)[-1], "word"))  # and "с" is "from"
            continue
        if kind == "word" and text_.lower().startswith("ненормальн"):  # "ненормальные": not normal, as "non-normal"
            out.append(Token(match.start(), match.start() + 2, text_[:2], "word"))
            out.append(Token(match.start() + 2, match.end(), text_[2:], "word"))
            continue
        if kind == "word" and text_[-2:] in ("'s", "’s") and len(text_) > 3 and re.fullmatch(r"[^\W_][\w-]*",
                                                                                         text_[:-2]):
            text_ = text_[:-2]  # "each pod's error count": the pod; "order-service's errors": the service
        out.append(Token(match.start(), match.end(), text_, kind, unit=unit))
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
    joiner = [t.tag in ("or", "conn") or (t.kind == "punct" and t.text != ":") for t in between]
    return bool(between) and any(joiner) and all(j or t.tag == "cont" for j, t in zip(joiner, between, strict=True))


def lookahead(tokens: list[Token], index: int) -> int | None:
    """The next token past fillers and glue words."""
    for position in range(index + 1, min(len(tokens), index + 4)):
        token = tokens[position]
        if token.tag == "cont" or (token.tag == "" and token.low in GLUE | {"the", "a"}):
            continue
        return position
    return None
