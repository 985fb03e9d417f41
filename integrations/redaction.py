"""Redaction: every secret in text that leaves a collector becomes `[redacted]`.

One module, used by every collector and by everything sent to the LLM or posted to a chat. Rules
are hand-written regexes rather than a secret scanner such as detect-secrets: scanners report
*which* secrets a line holds, built for a repository baseline workflow, while we need spans to
replace inside free text (logs, events, pasted output), fast on every line, and we must keep
things that look random but are evidence (image digests, container ids, trace ids).

Each rule names the kind of secret it removes; `find_secrets` reports kinds and spans (tests and
the audit use it) and `redact` replaces the spans. `redact_url` decodes a link's percent-encoded
parts before it looks, and encodes what it changed again.

Not every key that *contains* a secret word holds a secret: `secretName`, `token_type`,
`prompt_tokens=812`, `password_file` name, count or point at one, and a value that is a placeholder
(`${DB_PASSWORD}`, `true`, `****`) or, under any key but a password's, a plain identifier such as
`db-creds` is not a secret either. Removing those would only remove evidence.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import quote, unquote

MARKER = "[redacted]"
URL_MARKER = quote(MARKER, safe="")  # the marker inside a link: `%5Bredacted%5D`

# Words that make a key's value a secret wherever they occur in it (after the key is folded to
# lower case without separators: `DB_PASSWORD` -> `dbpassword`, `clientSecret` -> `clientsecret`).
_SECRET_WORD = re.compile(
    r"password|passwd|passphrase|secret|token|apikey|accesskey|privatekey|authkey|accountkey|credential|"
    r"sessionid|cookie|keydata|certificatedata|signature|mmauthtoken|routingkey|integrationkey|"
    r"пароль|токен|секрет"
)
# Words that do so only as a whole segment of the key (`db_pass`, `MYSQL_PWD`; not `bypass`, `sasl`).
_SECRET_SEGMENTS = frozenset({"pass", "pwd", "pw", "sas", "pin", "otp", "psk"})
# Password-like keys: people choose these values, so even `correct-horse-battery` is one.
_PASSWORD_WORD = re.compile(r"password|passwd|passphrase|pwd|pass$|^pass|pw$|пароль")
# A key ending in one of these names, points at, counts or describes a secret: not one itself.
_NOT_SECRET_SUFFIXES = (
    "name", "names", "ref", "refs", "type", "types", "kind", "url", "uri", "urls", "endpoint", "path", "paths",
    "file", "files", "dir", "policy", "ttl", "expiry", "expires", "expiresin", "expiration", "expiresat",
    "version", "format", "mode", "enabled", "disabled", "required", "length", "len", "size", "count", "provider",
    "less", "izer", "ization", "algorithm", "alg", "method", "scheme", "header", "domain", "store", "backend",
    "engine", "namespace", "volume", "mount", "source", "interval", "lifetime", "timeout", "period", "duration",
    "age", "lookup", "rotation", "location", "selector", "field", "fields", "label", "labels", "prefix",
    "env", "var", "strength", "hint", "changed", "updatedat", "createdat", "status", "state", "used",
)
_COUNTED = ("tokens", "токенов", "токены")  # `prompt_tokens=812`: a number of tokens, not one
_SEGMENT_SPLIT = re.compile(r"[^0-9a-zа-яё]+")
_CAMEL = re.compile(r"(?<=[a-zа-яё0-9])(?=[A-ZА-ЯЁ])")

# Values that are not secrets whatever the key: placeholders, references, switches, masks.
_PLACEHOLDER_WORDS = frozenset({
    "", "true", "false", "null", "none", "nil", "yes", "no", "on", "off", "required", "optional", "n/a", "na", "-",
    "redacted", "secret", "secrets", "token", "tokens", "password", "opaque", "unset", "empty", "default",
    "<none>", "<nil>", "<unset>", "<redacted>",
})
_PLACEHOLDER = re.compile(
    r"^(?:\$\{[^}]*\}?|\$\([^)]*\)?|\$[A-Z_][A-Z0-9_]*|\{\{.*\}?\}?|%\([^)]*\)s|<[^<>]*>|\*{3,}|x{3,}|X{3,}|•{3,}"
    r"|\[redacted\]|%5Bredacted%5D)$"
)
# A plain identifier (a Secret's or a service's name): lower-case words joined by - _ or ., at least
# two of them real words. `db-creds`, `shop-api-key`; not `k-123456`, `s3cr3t-v4lue`, `hunter2`.
_IDENTIFIER = re.compile(r"^[a-z]+\d*(?:[-_.](?:[a-z]+\d*|\d+))+$")
_WORDISH = re.compile(r"[a-z]{2,}\d*")


_UNITS = frozenset({"s", "ms", "sec", "secs", "seconds", "m", "min", "mins", "minutes", "h", "hours", "d", "days",
                    "bytes", "kb", "mb", "b"})


def _fold(key: str) -> tuple[str, list[str]]:
    """The key in lower case without separators, and its segments (`clientSecret` -> clientsecret,
    [client, secret]); a trailing unit is dropped (`token_ttl_s` -> tokenttl)."""
    segments = [s for s in _SEGMENT_SPLIT.split(_CAMEL.sub("_", key).lower()) if s]
    while len(segments) > 1 and segments[-1] in _UNITS:
        segments.pop()
    return "".join(segments), segments


def is_secret_key(key: str, value: str = "") -> bool:
    """Whether the value under `key` is a secret by the key's name (`value` decides for counted keys)."""
    joined, segments = _fold(key)
    if not joined:
        return False
    if any(joined.endswith(word) for word in _COUNTED):
        return not value.strip("\\\"' ").isdigit()
    if joined.endswith(_NOT_SECRET_SUFFIXES):
        return False
    return bool(_SECRET_WORD.search(joined)) or any(s in _SECRET_SEGMENTS for s in segments)


def is_plain_identifier(value: str) -> bool:
    return len(value) <= 100 and bool(_IDENTIFIER.match(value)) and len(_WORDISH.findall(value)) >= 2 and all(
        part.isdigit() or _WORDISH.fullmatch(part) for part in re.split(r"[-_.]", value))


def not_a_secret(value: str, key: str = "") -> bool:
    """A value that is a placeholder, a reference, a switch or a mask; or, under any key but a
    password's, a plain identifier."""
    bare = value.strip().strip("\\\"'").strip()
    if bare.lower() in _PLACEHOLDER_WORDS or _PLACEHOLDER.match(bare) or bare.startswith(MARKER):
        return True
    password_key = bool(_PASSWORD_WORD.search(_fold(key)[0])) if key else False
    return not password_key and is_plain_identifier(bare)


@dataclass(frozen=True)
class Rule:
    """One kind of secret: a pattern, the group holding the secret itself (0 = whole match), and
    optionally a check on the whole match (`check(match)` false: not a secret, look inside it)."""

    kind: str
    pattern: re.Pattern[str]
    group: int = 0
    check: Callable[[re.Match[str]], bool] | None = None
    hints: tuple[str, ...] = ()  # lower-case literals one of which must occur, else the regex is skipped


def _rule(kind: str, pattern: str, group: int = 0, hints: tuple[str, ...] = (),
          check: Callable[[re.Match[str]], bool] | None = None) -> Rule:
    return Rule(kind, re.compile(pattern), group, check, hints=hints)


def _key_value_check(match: re.Match[str]) -> bool:
    key, value = match.group(1), match.group(2)
    return is_secret_key(key, value) and not not_a_secret(value, key)


def _token_check(match: re.Match[str]) -> bool:
    return not not_a_secret(match.group(1))


# `requirepass is not set`: prose about the directive, not the directive.
_PROSE = frozenset({"is", "was", "not", "set", "must", "should", "will", "can", "to", "for", "and", "or", "the", "a",
                    "an", "of", "in", "on", "if", "with", "missing", "configured", "enabled", "disabled", "has"})


def _config_value_check(value: str) -> bool:
    return value.lower() not in _PROSE and not not_a_secret(value, "requirepass")


def _docker_auth_check(match: re.Match[str]) -> bool:
    """docker `auths.<registry>.auth` is base64 of `user:password`."""
    try:
        decoded = base64.b64decode(match.group(1), validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in decoded


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
    _rule("discord_webhook", r"(?i)discord(?:app)?\.com/api/webhooks/\d+/([A-Za-z0-9_-]{20,})", 1,
          hints=("/api/webhooks/",)),
    _rule("telegram_bot_token", r"\b\d{8,10}:AA[0-9A-Za-z_-]{33}\b", hints=(":aa",)),
    _rule("github_token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})",
          hints=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")),
    _rule("gitlab_token", r"\bgl(?:pat|dt|rt|ptt|cbt|ft|oas)-[A-Za-z0-9_-]{20,}", hints=("gl",)),
    _rule("openai_key", r"\bsk-(?:proj-|ant-|svcacct-)?[A-Za-z0-9_-]{20,}", hints=("sk-",)),
    _rule("stripe_key", r"\b(?:[rs]k_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{24,})",
          hints=("k_live_", "k_test_", "whsec_")),
    _rule("sendgrid_key", r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}", hints=("sg.",)),
    _rule("npm_token", r"\bnpm_[A-Za-z0-9]{36}\b", hints=("npm_",)),
    _rule("pypi_token", r"\bpypi-AgE[A-Za-z0-9_-]{50,}", hints=("pypi-",)),
    _rule("huggingface_token", r"\bhf_[A-Za-z0-9]{30,}\b", hints=("hf_",)),
    _rule("twilio_api_key", r"\bSK[0-9a-fA-F]{32}\b", hints=("sk",)),
    _rule("vault_token", r"\bhv[sbr]\.[A-Za-z0-9_-]{24,}", hints=("hvs.", "hvb.", "hvr.")),
    _rule("grafana_token", r"\b(?:glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,}={0,2}|"
          r"eyJrIjoi[A-Za-z0-9+/]{30,}={0,2})", hints=("glsa_", "glc_", "eyjrijoi")),
    _rule("digitalocean_token", r"\bdo[por]_v1_[a-f0-9]{64}\b", hints=("_v1_",)),
    _rule("shopify_token", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b", hints=("shp",)),
    _rule("databricks_token", r"\bdapi[0-9a-f]{32}\b", hints=("dapi",)),
    _rule("newrelic_key", r"\bNR(?:AK|II|JS)-[A-Za-z0-9]{20,}", hints=("nrak-", "nrii-", "nrjs-")),
    _rule("mailgun_key", r"\bkey-[0-9a-f]{32}\b", hints=("key-",)),
    _rule("square_token", r"\bsq0(?:atp|csp)-[0-9A-Za-z_-]{22,}", hints=("sq0",)),
    _rule("atlassian_token", r"\bATATT[A-Za-z0-9_=-]{50,}", hints=("atatt",)),
    _rule("age_secret_key", r"\bAGE-SECRET-KEY-1[0-9A-Z]{58}\b", hints=("age-secret-key-",)),
    _rule("ceph_key", r"(?<![A-Za-z0-9+/])AQ[A-Za-z0-9+/]{38}==", hints=("aq",)),
    _rule("password_hash", r"\$(?:2[abxy]|apr1|[156]|argon2(?:id|i|d)|y|gy)\$[./A-Za-z0-9$=,+]{20,}",
          hints=("$2", "$apr1$", "$1$", "$5$", "$6$", "$argon2", "$y$", "$gy$")),
    _rule("sentry_dsn", r"(?i)\bhttps?://([0-9a-f]{32})(?::[0-9a-f]{32})?@[^\s/\"']*sentry", 1, hints=("sentry",)),
    _rule("docker_auth", r"(?i)[\"']?\bauth[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9+/]{4,}={0,2})(?=[\"'\s,}]|$)", 1,
          hints=("auth",), check=_docker_auth_check),
    # Generic shapes: headers, URLs, key=value pairs, command-line flags.
    _rule("authorization_header", r"(?i)\b(?:authorization|proxy-authorization)\s*[:=]\s*\"?(?:[a-z][\w-]*\s+)?"
          r"([^\s\",;]{6,})", 1, hints=("authorization",)),
    _rule("bearer_token", r"(?i)\b(?:bearer|token|geniekey)[ \t]+([A-Za-z0-9._~+/=-]{16,})", 1,
          hints=("bearer", "token", "geniekey"), check=_token_check),
    _rule("url_password", r"(?i)\b[a-z][a-z0-9+.-]{1,20}://[^\s:/@\"']*:([^\s@/\"']+)@", 1, hints=("://",)),
    # Any key=value first, then the key is checked: one cheap pass instead of a search at every word.
    # Quotes may be escaped (JSON logged inside a JSON string: `{\"password\": \"x\"}`).
    _rule("key_value_secret", r"(?i)\\?[\"']?\b([\w.-]+)\\?[\"']?\s*(?:=|:|=>)\s*"
          r"(\\?\"[^\"\n]*\"|\\?'[^'\n]*'|[^\s,;&\"'}\]\\]+)", 2, check=_key_value_check),
    _rule("cli_password_flag", r"(?i)(--password|--passwd|--pass|--token|--secret|--client-secret|"
          r"--bind-password|--auth-token|--api-key)(?:=|\s+)([^\s\"']+|\"[^\"]*\"|'[^']*')", 2, hints=("--",),
          check=lambda m: not not_a_secret(m.group(2), m.group(1))),
    _rule("mysql_password_flag", r"(?i)\bmysql(?:dump|admin)?\b[^\n]*?\s-p([^\s-]\S{3,})", 1, hints=("mysql",)),
    _rule("redis_cli_password", r"\bredis-cli\b[^\n]*?\s-a\s+(\S+)", 1, hints=("redis-cli",)),
    _rule("redis_config_password", r"(?i)\b(?:requirepass|masterauth)[ \t]+(\"[^\"\n]+\"|[^\s\"']+)", 1,
          hints=("requirepass", "masterauth"), check=lambda m: _config_value_check(m.group(1))),
    _rule("redis_config_password", r"(?i)\"(?:requirepass|masterauth)\"[ \t]*\r?\n[ \t]*\d+\)[ \t]*(\"[^\"\n]*\")", 1,
          hints=("requirepass", "masterauth")),
    _rule("redis_config_password", r"(?i)\bconfig\s+set\s+(?:requirepass|masterauth)\s+(\S+)", 1,
          hints=("requirepass", "masterauth")),
    _rule("netrc_password", r"(?i)\bmachine\s+\S+\s+login\s+\S+\s+password\s+(\S+)", 1, hints=("machine",)),
    _rule("ldap_bind_password", r"\bldap\w*\b[^\n]*?\s-w\s+(\S+)", 1, hints=("ldap",)),
    _rule("sshpass_password", r"\bsshpass\s+-p\s*(\S+)", 1, hints=("sshpass",)),
    _rule("curl_user_password", r"\b(?:curl|wget|http)\b[^\n]*?\s(?:-u|--user)\s*[\"']?[^\s:\"']*:([^\s\"']+)", 1,
          hints=("-u", "--user")),
)

# Kubernetes Secret manifests: every value under data:/stringData: is secret, whatever its key.
_SECRET_KIND = re.compile(r"(?i)[\"']?kind[\"']?\s*:\s*[\"']?Secret\b")
_YAML_DATA_BLOCK = re.compile(r"(?m)^(?P<indent>[ \t]*)(?:data|stringData):[ \t]*\n"
                              r"(?P<body>(?:(?P=indent)[ \t]+\S.*\n?)+)")
_YAML_VALUE = re.compile(r"(?m)^([ \t]+[^\s:]+:[ \t]*)(\S.*)$")
# The same manifest with its indentation lost (quoted in a log or a health detail, every line alike):
# the entries after `data:` up to the next top-level field.
_YAML_FLAT_DATA_BLOCK = re.compile(r"(?m)^(?P<indent>[ \t]*)(?:data|stringData):[ \t]*\n"
                                   r"(?P<body>(?:(?P=indent)(?!(?:apiVersion|kind|metadata|type|immutable):)"
                                   r"[^\s:]+:[ \t]*\S.*\n?)+)")
_FLAT_VALUE = re.compile(r"(?m)^([ \t]*[^\s:]+:[ \t]*)(\S.*)$")
_JSON_DATA_BLOCK = re.compile(r"\"(?:data|stringData)\"\s*:\s*\{([^{}]*)\}")
_JSON_VALUE = re.compile(r"(\"[^\"]+\"\s*:\s*)\"[^\"]*\"")

# High-entropy tokens: long, mixed character classes, near-random. Pure hex (digests, container
# and trace ids) and uuids are evidence, not secrets, and are kept.
# `=` only as base64 padding: `token=<random>` keeps its key.
_CANDIDATE = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{32,}={0,2}(?![A-Za-z0-9+/_=-])")
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
        if rule.check is not None and not rule.check(match):
            # Not a secret, but its value may hold one ("line: password=x"): look inside it.
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
    for block in _YAML_FLAT_DATA_BLOCK.finditer(text):
        offset = block.start("body")
        for value in _FLAT_VALUE.finditer(block.group("body")):
            yield Span("kubernetes_secret_data", offset + value.start(2), offset + value.end(2))
    for block in _JSON_DATA_BLOCK.finditer(text):
        offset = block.start(1)
        for value in _JSON_VALUE.finditer(block.group(1)):
            yield Span("kubernetes_secret_data", offset + value.end(1), offset + value.end(0))


def _entropy_spans(text: str) -> Iterable[Span]:
    for match in _CANDIDATE.finditer(text):
        start, token = match.start(), match.group(0)
        if start > 0 and text[start - 1] == "%" and _HEXISH.match(token[:2]):
            start, token = start + 2, token[2:]  # `%20Word`: the escape's digits are not part of the word
            if len(token) < 32:
                continue
        if _looks_random(token):
            yield Span("high_entropy", start, match.end())


# Percent-encoded text (a query string in an access log, a link in an annotation): each part between
# the delimiters of a URL is decoded and looked at as text; a secret inside makes the part's value a span.
_PERCENT_TOKEN = re.compile(r"[^\s\"'<>]*%[0-9A-Fa-f]{2}[^\s\"'<>]*")
_URL_DELIMITERS = re.compile(r"[/?&#;]")


def _encoded_spans(text: str) -> Iterable[Span]:
    if "%" not in text:
        return
    for token in _PERCENT_TOKEN.finditer(text):
        start = token.start()
        for piece in _URL_DELIMITERS.split(token.group(0)):
            if "%" in piece:
                key, eq, value = piece.partition("=")
                decoded = unquote(piece)
                if redact(decoded) != decoded:
                    keep_key = eq and redact(unquote(key)) == unquote(key) and "%" in value
                    offset = len(key) + 1 if keep_key else 0
                    yield Span("percent_encoded", start + offset, start + len(piece))
            start += len(piece) + 1


SpanFinder = Callable[[str], Iterable[Span]]
_FINDERS: tuple[SpanFinder, ...] = (_rule_spans, _secret_manifest_spans, _entropy_spans, _encoded_spans)


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


# The delimiters of a link's parts: path segments, query and fragment pairs (Alertmanager's silence
# link keeps a query inside its fragment).
_URL_PARTS = re.compile(r"([/?&#;])")
_URL_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]{0,20}:(?://)?\S+$")


def _redact_url_piece(piece: str) -> str:
    if "%" not in piece:
        return piece  # nothing encoded: the plain pass sees it as it is
    key, eq, value = piece.partition("=")
    decoded_key, decoded_value = unquote(key), unquote(value)
    decoded = f"{decoded_key}{eq}{decoded_value}"
    cleaned = redact(decoded)
    if cleaned == decoded:
        return piece
    new_key, new_eq, new_value = cleaned.partition("=") if eq else (cleaned, "", "")
    if not eq or new_key != decoded_key:  # no pair, or the key itself held a secret: one piece
        return quote(cleaned, safe="")
    return key + new_eq + quote(new_value, safe="")


def redact_url(url: str) -> str:
    """A link with every secret in it redacted: percent-decoded piece by piece (a label in
    Alertmanager's silence link, `?q=password%3Dx`), each changed piece encoded again, then as
    written (userinfo, tokens in the path or query). The marker is written `%5Bredacted%5D` there so
    the link stays a valid URL."""
    if not url:
        return url
    pieces = _URL_PARTS.split(url)
    decoded = "".join(piece if i % 2 else _redact_url_piece(piece) for i, piece in enumerate(pieces))
    return redact(decoded).replace(MARKER, URL_MARKER)


def looks_like_url(text: str) -> bool:
    return "://" in text[:32] and bool(_URL_LIKE.match(text))


def redact_data(value: object) -> object:
    """Redact every string inside a JSON-like structure (evidence data, audit records, CLI output); a
    string under a secret-looking key ("password", "api_key", ...) is replaced whole, unless it is a
    placeholder or (under any key but a password's) a plain identifier. Links are redacted as links."""
    if isinstance(value, str):
        return redact_url(value) if looks_like_url(value) else redact(value)
    if isinstance(value, dict):
        return {k: MARKER if isinstance(v, str) and v and isinstance(k, str) and is_secret_key(k, v)
                and not not_a_secret(v, k) else redact_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v) for v in value]
    return value
