"""What a token is as a value, before it has a field: a number with a unit (duration, size), a status
code or class, an IP or CIDR, a path, an HTTP method, an exception or CamelCase reason, a host name, a
program, an environment, a currency, an identifier, or a plain word; and the level a word names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from core.typos import one_typo_apart
from integrations.opensearch.question_tokens import Token
from integrations.opensearch.question_words import (
    BOUNDARY,
    CLIENT_TOOLS,
    CURRENCIES,
    DURATION_UNITS,
    ENVIRONMENTS,
    FACILITIES,
    FILLER,
    GLUE,
    HTTP_METHODS,
    KNOWN_NAMESPACES,
    KNOWN_PROGRAMS,
    LEVELS,
    PROGRAM_WORDS,
    SIZE_UNITS,
    SQL_VERBS,
    STATUS_CLASS_WORDS,
    STATUS_NUMBER,
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
from integrations.opensearch.vocabulary import Vocabulary, stem

STATUS_CLASS = re.compile(r"^([1-5])(?:xx|хх)s?$", re.IGNORECASE)
STATUS_CODE = re.compile(r"^([1-5]\d\d)(?:s|'s|-?х|-?е|-?ые|-?ых|-ки|-ок)?$", re.IGNORECASE)
EXCEPTION_NAME = re.compile(r"^(?:[a-z]\w*\.)*[A-Z]\w*(?:Exception|Error|Timeout|Fault|Failure)$")
CAMEL = re.compile(r"^[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+$|^[A-Z]{2,}[a-z]+\w*$")
# Cloud regions and zones: eu-west-1, us-east-2a, ap-southeast-1, us-gov-west-1.
TLS_VERSION = re.compile(r"^(?:TLS|SSL)v?\d(?:\.\d)?$", re.IGNORECASE)
REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)?-(?:north|south|east|west|central)(?:east|west)?-\d[a-z]?$")
HOSTNAME = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$", re.IGNORECASE)


BARE_UNIT = re.compile(r"^(hour|minute|second|sec|час|минут|секунд)(?:s|а|у|ы)?$", re.IGNORECASE)
# Halves said as one word ("полсекунды", "полминуты") or "half a second"; "полторы секунды" is 1.5.
_HALF = re.compile(r"^пол(секунд|минут|час)\w*$", re.IGNORECASE)
_ONE_AND_HALF = ("полтора", "полторы", "полутора")
# Numbers said in words (under a comparison: "больше трёх ретраев", "дольше двух секунд", "over three").
_SPOKEN_EN = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
              "ten": 10, "twenty": 20, "thirty": 30, "fifty": 50, "hundred": 100, "thousand": 1000,
              "million": 1_000_000}
_SPOKEN_RU = (("одн", 1), ("один", 1), ("две", 2), ("два", 2), ("двух", 2), ("двум", 2), ("три", 3), ("трех", 3),
              ("трёх", 3), ("трем", 3), ("трём", 3),
              ("четыр", 4), ("пят", 5), ("шест", 6), ("сем", 7), ("восем", 8), ("восьм", 8), ("девят", 9),
              ("десят", 10), ("двадцат", 20), ("тридцат", 30), ("пятьдесят", 50), ("пятидесят", 50), ("сто", 100),
              ("ста", 100), ("тысяч", 1000), ("миллион", 1_000_000), ("лям", 1_000_000))


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


_LEVEL_NOUNS = ("level", "levels", "severity", "lvl", "уровня", "уровень")
_TYPO_LEVELS = {"error": "error", "errors": "error", "warning": "warning", "warnings": "warning", "ошибки": "error",
                "ошибок": "error"}


def level_of(token: Token) -> str | None:
    low = token.low
    if token.kind != "word":
        return None
    head, _, tail = low.partition("-")
    if tail in _LEVEL_NOUNS:  # "err-level lines", "warn-level": the level before the noun
        low = head
    for prefix, level in LEVELS.items():
        if low == prefix or (low.startswith(prefix) and len(prefix) >= 4):
            return level
    if len(low) >= 5:
        return next((level for word, level in _TYPO_LEVELS.items() if low == word or one_typo_apart(low, word)),
                    None)
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
        if not unit and STATUS_NUMBER.fullmatch(text):
            return Value(token, "status", text, number)
        return Value(token, "number", text, number)
    if token.kind != "word" or token.tag:
        return None
    low = text.lower()
    if text.isupper() and text in HTTP_METHODS:
        return Value(token, "method", text)
    if (method := _METHOD_FORM.match(text)) is not None and method.group(1) in HTTP_METHODS:
        return Value(token, "method", method.group(1))  # "POSTs", "POST-запросы"
    if (text.isupper() and text in SQL_VERBS) or (method is not None and method.group(1) in SQL_VERBS):
        return Value(token, "operation", method.group(1) if method is not None else text)  # "SELECTs"
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
    if TLS_VERSION.match(text) and any({"tls", "ssl"} & set(f.parts) for f in vocab.fields.values()):
        return Value(token, "tls", text)  # "TLSv1.2": the protocol version field (`tls_version`, `ssl_protocol`)
    if HOSTNAME.match(text) and not text.replace(".", "").isdigit():
        return Value(token, "hostname", text.lower())
    if low in KNOWN_PROGRAMS or low.partition("/")[0] in KNOWN_PROGRAMS:  # "postfix/smtpd": syslog's program/part
        return Value(token, "program", low)
    if (client := client_of(low)) is not None and vocab.first("agent") is not None:
        return Value(token, "client", client)
    if (program := next((p for prefix, p in PROGRAM_WORDS.items() if low.startswith(prefix)), None)) is not None:
        return Value(token, "program", program)
    if (verbs := verb_of(text)) is not None and any("verb" in f.parts for f in vocab.fields.values()):
        return Value(token, "verb", "|".join(verbs))  # an audit log's API verb: "deleted", "удаления", "reads"
    if (resource := resource_of(text)) is not None and vocab.first("resource") is not None:
        return Value(token, "resource", resource)  # "подов", "secrets": the audit log's resource
    if low in KNOWN_NAMESPACES:
        return Value(token, "namespace", low)
    if low in FACILITIES and vocab.first("facility") is not None:
        return Value(token, "facility", low)
    if (env := environment_of(low)) is not None:
        return Value(token, "env", env)
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
             "region": "name", "facility": "name", "tls": "name",
             "exception": "name", "stream": "name", "method": "name", "level": "level", "quoted": "quoted",
             "gateway": "name", "currency": "name", "agent": "name", "namespace": "name",
             "verb": "name", "resource": "name", "outcome": "name", "operation": "name", "client": "name"}


def client_of(word: str) -> str | None:
    """The User-Agent token a client's name stands for, in any case form ("курла", "курлом": curl)."""
    return CLIENT_TOOLS.get(word) or next((token for name, token in CLIENT_TOOLS.items() if not name.isascii()
                                           and word.startswith(name) and len(word) - len(name) <= 2), None)


def currency_of(word: str) -> str | None:
    return CURRENCIES.get(word) or next((code for name, code in CURRENCIES.items() if len(name) > 3
                                         and word.startswith(name)), None)


def family_of(value_type: str) -> str:
    """Values that may share one field when joined by "or"/"и" ("curl or python-requests")."""
    return _FAMILIES.get(value_type, value_type)


def _spoken(word: str) -> float | None:
    low = word.lower()
    if low in _SPOKEN_EN:
        return float(_SPOKEN_EN[low])
    if low in _ONE_AND_HALF:
        return 1.5
    # The longest stem that leaves at most a case ending ("трёх", "пяти", "десяти"; not "пятисотки").
    found = [(len(stem), n) for stem, n in _SPOKEN_RU if low.startswith(stem) and len(low) - len(stem) <= 2]
    return float(max(found)[1]) if found else None


def spoken_number(tokens: list[Token], index: int) -> tuple[Value, int] | None:
    """A number said in words, with the unit word after it if one ("трёх секунд", "полсекунды",
    "half a second"): the value and how many tokens it covers."""
    token = tokens[index]
    if token.kind != "word" or token.tag:
        return None
    if (half := _HALF.match(token.text)) is not None:
        factor = unit_factor(half.group(1).lower(), DURATION_UNITS) or 1.0
        return Value(token, "duration", token.text, 0.5 * factor), 1
    low, span = token.low, 1
    if low == "half" and index + 1 < len(tokens) and tokens[index + 1].low in ("a", "an"):
        number, span = 0.5, 2
    elif (spoken := _spoken(low)) is not None:
        number = spoken
    else:
        return None
    following = tokens[index + span] if index + span < len(tokens) else None
    if following is not None and following.kind == "word" and (unit := BARE_UNIT.match(following.text)) is not None:
        factor = unit_factor(unit.group(1).lower(), DURATION_UNITS) or 1.0
        return Value(token, "duration", f"{token.text} {following.text}", number * factor), span + 1
    if span > 1:
        return None
    return Value(token, "number", token.text, number), 1


_CYRILLIC_WORD = re.compile("[а-яё]")


@cache
def _environment_names() -> dict[str, str]:
    return {stem(w) if _CYRILLIC_WORD.search(w) else w: env for env, words in ENVIRONMENTS.items() for w in words}


def environment_of(low: str) -> str | None:
    """The environment a word names: English exactly ("product" is not prod), Russian by its stem."""
    return _environment_names().get(stem(low) if _CYRILLIC_WORD.search(low) else low)
