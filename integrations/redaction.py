"""Redaction: every secret in text that leaves a collector becomes `[redacted]`.

One module, used by every collector and by everything sent to the LLM or posted to a chat. Rules
are hand-written regexes rather than a secret scanner such as detect-secrets: scanners report
*which* secrets a line holds, built for a repository baseline workflow, while we need spans to
replace inside free text (logs, events, pasted output), fast on every line, and we must keep
things that look random but are evidence (image digests, container ids, trace ids).

Each rule names the kind of secret it removes; `find_secrets` reports kinds and spans (tests and
the audit use it) and `redact` replaces the spans.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

MARKER = "[redacted]"

# Names whose value is a secret in key=value, key: value, "key": "value" and header forms.
_SECRET_WORD = (
    r"(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|"
    r"private[_-]?key|secret[_-]?key|auth[_-]?key|account[_-]?key|client[_-]?secret|credentials?|"
    r"session[_-]?id|cookie|key[_-]?data|certificate[_-]?data|sas|signature|mmauthtoken|"
    r"x-api-key|x-auth-token|private-token)"
)
_SECRET_KEY = r"(?:[\w.-]*?" + _SECRET_WORD + r"[\w.-]*)"


@dataclass(frozen=True)
class Rule:
    """One kind of secret: a pattern, the group holding the secret itself (0 = whole match), and
    optionally a check on another group (`key_group` must contain `key_word`)."""

    kind: str
    pattern: re.Pattern[str]
    group: int = 0
    key_group: int = 0
    key_word: re.Pattern[str] | None = None
    hints: tuple[str, ...] = ()  # lower-case literals one of which must occur, else the regex is skipped


def _rule(kind: str, pattern: str, group: int = 0, hints: tuple[str, ...] = ()) -> Rule:
    return Rule(kind, re.compile(pattern), group, hints=hints)


_AWS_PREFIXES = ("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA", "ABIA", "ACCA")

RULES: tuple[Rule, ...] = (
    # Specific formats first: where spans coincide, the first rule names the kind.
    _rule("private_key", r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY"
          r"( BLOCK)?-----|\Z)", hints=("private key",)),
    _rule("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*", hints=("eyj",)),
    _rule("aws_access_key_id", r"\b(?:" + "|".join(_AWS_PREFIXES) + r")[A-Z0-9]{16}\b",
          hints=tuple(p.lower() for p in _AWS_PREFIXES)),
    _rule("gcp_api_key", r"\bAIza[0-9A-Za-z_-]{35}\b", hints=("aiza",)),
    _rule("gcp_oauth_token", r"\bya29\.[0-9A-Za-z_-]{20,}", hints=("ya29.",)),
    _rule("gcp_oauth_client_secret", r"\bGOCSPX-[A-Za-z0-9_-]{20,}", hints=("gocspx-",)),
    _rule("azure_client_secret", r"\b[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}", hints=("q~",)),
    _rule("azure_storage_key", r"(?i)\bAccountKey=([A-Za-z0-9+/=]{20,})", 1, hints=("accountkey=",)),
    _rule("azure_sas_signature", r"(?i)[?&]sig=([A-Za-z0-9%+/=]{16,})", 1, hints=("sig=",)),
    _rule("slack_token", r"\bxox[abposre]-[0-9A-Za-z-]{10,}", hints=("xox",)),
    _rule("slack_app_token", r"\bxapp-\d-[A-Za-z0-9-]{10,}", hints=("xapp-",)),
    _rule("slack_webhook", r"https://hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9/_-]{10,})", 1,
          hints=("hooks.slack.com",)),
    _rule("mattermost_webhook", r"(?i)\bhttps?://[^\s/]+/hooks/([a-z0-9]{26})\b", 1, hints=("/hooks/",)),
    _rule("github_token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})",
          hints=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")),
    _rule("gitlab_token", r"\bglpat-[A-Za-z0-9_-]{20,}", hints=("glpat-",)),
    _rule("openai_key", r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}", hints=("sk-",)),
    _rule("stripe_key", r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}", hints=("k_live_", "k_test_")),
    _rule("sendgrid_key", r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}", hints=("sg.",)),
    _rule("npm_token", r"\bnpm_[A-Za-z0-9]{36}\b", hints=("npm_",)),
    # Generic shapes: headers, URLs, key=value pairs, command-line flags.
    _rule("authorization_header", r"(?i)\b(?:authorization|proxy-authorization)\s*[:=]\s*\"?(?:(?:bearer|basic|"
          r"token|digest|negotiate|apikey)\s+)?([^\s\",;]{6,})", 1, hints=("authorization",)),
    _rule("bearer_token", r"(?i)\b(?:bearer|token)\s+([A-Za-z0-9._~+/=-]{16,})", 1, hints=("bearer", "token")),
    _rule("url_password", r"(?i)\b[a-z][a-z0-9+.-]{1,20}://[^\s:/@\"']+:([^\s@/\"']+)@", 1, hints=("://",)),
    # Any key=value first, then the key is checked: one cheap pass instead of a search at every word.
    Rule("key_value_secret", re.compile(r"(?i)[\"']?\b([\w.-]+)[\"']?\s*(?:=|:|=>)\s*"
                                        r"(\"[^\"\n]*\"|'[^'\n]*'|[^\s,;&\"'}\]]+)"), 2,
         key_group=1, key_word=re.compile(r"(?i)" + _SECRET_WORD)),
    _rule("cli_password_flag", r"(?i)(?:--password|--passwd|--token|--secret|--client-secret)(?:=|\s+)(\S+)", 1,
          hints=("--",)),
    _rule("mysql_password_flag", r"(?i)\bmysql(?:dump|admin)?\b[^\n]*?\s-p([^\s-]\S{3,})", 1, hints=("mysql",)),
)

# Kubernetes Secret manifests: every value under data:/stringData: is secret, whatever its key.
_SECRET_KIND = re.compile(r"(?i)[\"']?kind[\"']?\s*:\s*[\"']?Secret\b")
_YAML_DATA_BLOCK = re.compile(r"(?m)^(?P<indent>[ \t]*)(?:data|stringData):[ \t]*\n"
                              r"(?P<body>(?:(?P=indent)[ \t]+\S.*\n?)+)")
_YAML_VALUE = re.compile(r"(?m)^([ \t]+[^\s:]+:[ \t]*)(\S.*)$")
_JSON_DATA_BLOCK = re.compile(r"\"(?:data|stringData)\"\s*:\s*\{([^{}]*)\}")
_JSON_VALUE = re.compile(r"(\"[^\"]+\"\s*:\s*)\"[^\"]*\"")

# High-entropy tokens: long, mixed character classes, near-random. Pure hex (digests, container
# and trace ids) and uuids are evidence, not secrets, and are kept.
_CANDIDATE = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_=-]{32,}(?![A-Za-z0-9+/_=-])")
_HEXISH = re.compile(r"^[0-9a-fA-F-]+$")
_ENTROPY_BITS = 4.0


def shannon_entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _looks_random(token: str) -> bool:
    body = token.rstrip("=")
    if _HEXISH.match(body) or ("/" in body.strip("/") and body.count("/") > 2):  # hex ids, paths
        return False
    classes = sum((any(c.islower() for c in body), any(c.isupper() for c in body), any(c.isdigit() for c in body)))
    return classes == 3 and shannon_entropy(body) >= _ENTROPY_BITS


@dataclass(frozen=True)
class Span:
    kind: str
    start: int
    end: int


def _rule_spans(text: str) -> Iterable[Span]:
    lowered = text.lower()
    for rule in RULES:
        if rule.hints and not any(hint in lowered for hint in rule.hints):
            continue  # a substring test is far cheaper than a regex scan of a long log tail
        yield from _matches(rule, text)


def _matches(rule: Rule, text: str) -> Iterable[Span]:
    position = 0
    while (match := rule.pattern.search(text, position)) is not None:
        start, end = match.span(rule.group)
        if rule.key_word is not None and not rule.key_word.search(match.group(rule.key_group)):
            # Not a secret key, but its value may hold one ("line: password=x"): look inside it.
            position = start if start > match.start() else match.end()
            continue
        if start >= 0 and end > start and not text.startswith(MARKER, start):
            yield Span(rule.kind, start, end)
        position = max(match.end(), position + 1)


def _secret_manifest_spans(text: str) -> Iterable[Span]:
    if not _SECRET_KIND.search(text):
        return
    for block in _YAML_DATA_BLOCK.finditer(text):
        offset = block.start("body")
        for value in _YAML_VALUE.finditer(block.group("body")):
            yield Span("kubernetes_secret_data", offset + value.start(2), offset + value.end(2))
    for block in _JSON_DATA_BLOCK.finditer(text):
        offset = block.start(1)
        for value in _JSON_VALUE.finditer(block.group(1)):
            yield Span("kubernetes_secret_data", offset + value.end(1), offset + value.end(0))


def _entropy_spans(text: str) -> Iterable[Span]:
    for match in _CANDIDATE.finditer(text):
        if _looks_random(match.group(0)):
            yield Span("high_entropy", match.start(), match.end())


SpanFinder = Callable[[str], Iterable[Span]]
_FINDERS: tuple[SpanFinder, ...] = (_rule_spans, _secret_manifest_spans, _entropy_spans)


def find_secrets(text: str) -> list[Span]:
    """Every secret span in `text`, merged where they overlap (the first kind found wins)."""
    spans = sorted((s for finder in _FINDERS for s in finder(text)), key=lambda s: (s.start, -s.end))
    merged: list[Span] = []
    for span in spans:
        if merged and span.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Span(last.kind, last.start, max(last.end, span.end))
        else:
            merged.append(span)
    return merged


def redact(text: str) -> str:
    """`text` with every secret replaced by `[redacted]`."""
    if not text:
        return text
    parts: list[str] = []
    cursor = 0
    for span in find_secrets(text):
        parts.append(text[cursor:span.start])
        parts.append(MARKER)
        cursor = span.end
    parts.append(text[cursor:])
    return "".join(parts)


_SECRET_KEY_NAME = re.compile(r"(?i)^" + _SECRET_KEY + r"$")


def redact_data(value: object) -> object:
    """Redact every string inside a JSON-like structure (evidence data, audit records); a string under a
    secret-looking key ("password", "api_key", ...) is replaced whole."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: MARKER if isinstance(v, str) and v and isinstance(k, str) and _SECRET_KEY_NAME.match(k)
                else redact_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v) for v in value]
    return value
