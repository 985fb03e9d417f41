"""What a token is as a value, before it has a field: a number with a unit (duration, size), a status
code or class, an IP or CIDR, a path, an HTTP method, an exception or CamelCase reason, a host name, a
program, an environment, a currency, an identifier, or a plain word; and the level a word names."""

from __future__ import annotations

import re
from dataclasses import dataclass

from integrations.opensearch.question_tokens import Token
from integrations.opensearch.question_words import (
    BOUNDARY,
    CURRENCIES,
    DURATION_UNITS,
    ENVIRONMENTS,
    FILLER,
    GLUE,
    HTTP_METHODS,
    KNOWN_NAMESPACES,
    KNOWN_PROGRAMS,
    LEVELS,
    PROGRAM_WORDS,
    SIZE_UNITS,
    STATUS_CLASS_WORDS,
    STREAMS,
)
from integrations.opensearch.value_words import (
    agent_word,
    gateway_of,
    outcome_field,
    outcome_of,
    reason_of,
    resource_of,
    verb_of,
)
from integrations.opensearch.vocabulary import Vocabulary

STATUS_CLASS = re.compile(r"^([1-5])(?:xx|хх)s?$", re.IGNORECASE)
STATUS_CODE = re.compile(r"^([1-5]\d\d)(?:s|'s|-?х|-?е|-?ые|-?ых|-ки|-ок)?$", re.IGNORECASE)
EXCEPTION_NAME = re.compile(r"^(?:[a-z]\w*\.)*[A-Z]\w*(?:Exception|Error|Timeout|Fault|Failure)$")
CAMEL = re.compile(r"^[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+$|^[A-Z]{2,}[a-z]+\w*$")
# Cloud regions and zones: eu-west-1, us-east-2a, ap-southeast-1, us-gov-west-1.
REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)?-(?:north|south|east|west|central)(?:east|west)?-\d[a-z]?$")
HOSTNAME = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$", re.IGNORECASE)


BARE_UNIT = re.compile(r"^(hour|minute|second|sec|час|минут|секунд)(?:s|а|у|ы)?$", re.IGNORECASE)


@dataclass
class Value:
    """A typed value of the question, before it is attached to a field."""

    token: Token
    type: str  # ip, cidr, addr, number, duration, size, status, status_class, path, quoted, method, level,
    # exception, camel, hostname, program, stream, ident, word
    text: str
    number: float | None = None
    cmp: str = ""  # a comparison said before it, kept while it waits for its field


_METHOD_FORM = re.compile(r"^([A-Z]{3,7})(?:s|-[а-яёa-z]+)$")


def unit_factor(unit: str, table: dict[str, float] | dict[str, int]) -> float | None:
    if not unit:
        return None
    if unit in table:
        return float(table[unit])
    return next((float(v) for k, v in table.items() if len(k) > 2 and unit.startswith(k)), None)


def near(word: str, other: str) -> bool:
    """One typo apart: a swap of two neighbours, one letter changed, added or dropped ("erorrs")."""
    if word == other or abs(len(word) - len(other)) > 1:
        return word == other
    if len(word) == len(other):
        diff = [i for i, (a, b) in enumerate(zip(word, other, strict=True)) if a != b]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and word[diff[0]] == other[diff[1]]
                                  and word[diff[1]] == other[diff[0]])
    short, long_ = sorted((word, other), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


_TYPO_LEVELS = {"error": "error", "errors": "error", "warning": "warning", "warnings": "warning", "ошибки": "error",
                "ошибок": "error"}


def level_of(token: Token) -> str | None:
    low = token.low
    if token.kind != "word":
        return None
    for prefix, level in LEVELS.items():
        if low == prefix or (low.startswith(prefix) and len(prefix) >= 4):
            return level
    if len(low) >= 5:
        return next((level for word, level in _TYPO_LEVELS.items() if near(low, word)), None)
    return None


def typed_value(token: Token, vocab: Vocabulary) -> Value | None:
    """The typed value a token is, or None for a word that is no value by itself."""
    text = token.text
    if token.kind == "quoted":
        return Value(token, "quoted", text[1:-1].strip())
    if token.kind == "ip":
        kind = "cidr" if "/" in text else "addr" if ":" in text else "ip"
        return Value(token, kind, text)
    if token.kind == "path":
        return Value(token, "path", text)
    if token.kind == "num":
        number = float(text.replace(",", "."))
        unit = token.unit
        if unit == "s" and STATUS_CODE.match(text + "s") and not text.count("."):
            return Value(token, "status", text, number)  # "500s": the plural of a status code
        duration = unit_factor(unit, DURATION_UNITS)
        if duration is not None and unit not in ("m", "b", "k"):
            return Value(token, "duration", text + unit, number * duration)
        size = unit_factor(unit, SIZE_UNITS)
        if size is not None:
            return Value(token, "size", text + unit, number * size)
        if not unit and re.fullmatch(r"[1-5]\d\d", text):
            return Value(token, "status", text, number)
        return Value(token, "number", text, number)
    if token.kind != "word" or token.tag:
        return None
    low = text.lower()
    if text.isupper() and text in HTTP_METHODS:
        return Value(token, "method", text)
    if (method := _METHOD_FORM.match(text)) is not None and method.group(1) in HTTP_METHODS:
        return Value(token, "method", method.group(1))  # "POSTs", "POST-запросы"
    if (digit := next((d for word, d in STATUS_CLASS_WORDS.items() if low.startswith(word)), None)) is not None:
        return Value(token, "status_class", str(digit), float(digit))  # "пятисотки": 5xx
    if low in BOUNDARY or low in FILLER or low in GLUE:
        return None
    if (match := STATUS_CLASS.match(text)) is not None:
        return Value(token, "status_class", match.group(1), float(match.group(1)))
    if (match := STATUS_CODE.match(text)) is not None:
        return Value(token, "status", match.group(1), float(match.group(1)))
    if text.upper() in HTTP_METHODS and (text.isupper() or text.lower() != "get"):
        return Value(token, "method", text.upper())
    if EXCEPTION_NAME.match(text):
        return Value(token, "exception", text)
    if text.lower() in STREAMS:
        return Value(token, "stream", text.lower())
    if HOSTNAME.match(text) and not text.replace(".", "").isdigit():
        return Value(token, "hostname", text.lower())
    if low in KNOWN_PROGRAMS:
        return Value(token, "program", low)
    if (program := next((p for prefix, p in PROGRAM_WORDS.items() if low.startswith(prefix)), None)) is not None:
        return Value(token, "program", program)
    if (verbs := verb_of(text)) is not None and any("verb" in f.parts for f in vocab.fields.values()):
        return Value(token, "verb", "|".join(verbs))  # an audit log's API verb: "deleted", "удаления", "reads"
    if (resource := resource_of(text)) is not None and vocab.first("resource") is not None:
        return Value(token, "resource", resource)  # "подов", "secrets": the audit log's resource
    if low in KNOWN_NAMESPACES:
        return Value(token, "namespace", low)
    if low in ENVIRONMENTS:
        return Value(token, "env", ENVIRONMENTS[low])
    if (reason := reason_of(text)) is not None and vocab.first("reason") is not None:
        return Value(token, "camel", reason)
    if (outcome := outcome_of(text)) is not None and outcome_field(vocab) is not None:
        return Value(token, "outcome", outcome)
    if (text.isupper() or len(low) > 3) and (code := currency_of(low)) is not None and vocab.first("currency"):
        return Value(token, "currency", code)
    if (agent := agent_word(text)) is not None and vocab.first("agent") is not None:
        return Value(token, "agent", f"*{agent}*")
    if gateway_of(text) is not None and vocab.first("gateway") is not None:
        return Value(token, "gateway", low)
    if CAMEL.match(text):
        return Value(token, "camel", text)
    if REGION.match(low):
        return Value(token, "region", low)
    if "*" in text or re.search(r"\d", text) or re.search(r"[-_.:/@]", text):
        return Value(token, "ident", text)
    return Value(token, "word", text)


_FAMILIES = {"word": "name", "ident": "name", "program": "name", "hostname": "name", "camel": "name", "env": "name",
             "region": "name",
             "exception": "name", "stream": "name", "method": "name", "level": "level", "quoted": "quoted",
             "gateway": "name", "currency": "name", "agent": "name", "namespace": "name",
             "verb": "name", "resource": "name"}


def currency_of(word: str) -> str | None:
    return CURRENCIES.get(word) or next((code for name, code in CURRENCIES.items() if len(name) > 3
                                         and word.startswith(name)), None)


def family_of(value_type: str) -> str:
    """Values that may share one field when joined by "or"/"и" ("curl or python-requests")."""
    return _FAMILIES.get(value_type, value_type)
