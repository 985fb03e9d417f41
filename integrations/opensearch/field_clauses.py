"""A typed value on one field of the mapping: whether it fits the field's type and kind, the clause it
becomes (units converted to the field's, wildcards on the keyword sub-field), the field a value's
type alone points to, and the field a run of question words names."""

from __future__ import annotations

import re

from integrations.opensearch.mapping import EXACT, NUMERIC
from integrations.opensearch.question import FieldClause, Scalar
from integrations.opensearch.question_tokens import Token
from integrations.opensearch.question_words import (
    APP_LADDER,
    APP_LEVELS,
    KNOWN_NAMESPACES,
    SYSLOG_LADDER,
    SYSLOG_LEVELS,
)
from integrations.opensearch.typed_values import (
    Value,
    level_of,
    typed_value,
)
from integrations.opensearch.value_words import (
    OUTCOME_PARTS,
    outcome_field,
)
from integrations.opensearch.vocabulary import TEXTUAL, FieldInfo, Vocabulary

INFERRED_KIND = {"ip": "ip", "cidr": "ip", "status": "status", "status_class": "status", "path": "path",
                 "method": "method", "exception": "error", "hostname": "host", "program": "service",
                 "stream": "stream", "camel": "reason", "duration": "duration", "size": "bytes", "env": "env",
                 "region": "region", "gateway": "gateway", "agent": "agent", "namespace": "namespace",
                 "verb": "method", "resource": "resource", "facility": "facility",
                 "currency": "currency", "client": "agent", "operation": "operation"}


def fits(value: Value, info: FieldInfo) -> bool:
    field_type = info.type
    if field_type == "ip":
        return value.type in ("ip", "cidr")
    if field_type in NUMERIC:
        if value.type == "duration":
            return info.kind == "duration"
        if value.type == "size":
            return info.kind == "bytes"
        return value.type in ("number", "status", "status_class")
    if value.type == "outcome":
        return field_type in EXACT and bool(info.parts) and info.parts[-1] in OUTCOME_PARTS
    if field_type in EXACT:
        if value.type == "word" and not value.text.isascii():
            return False  # "упавшие", "объектов": Russian words are the question's, keyword values are not
        if value.type in ("status", "status_class") and info.kind not in ("status", None):
            return False  # "per env: 5xx": a status code is no environment
        return value.type not in ("cidr", "duration", "size") and not (value.type == "ip" and info.kind != "ip")
    if field_type in TEXTUAL:
        return value.type in ("quoted", "word", "ident", "exception", "camel", "hostname", "program", "path", "agent",
                              "client")
    return False


def _duration_unit(info: FieldInfo) -> float:
    """Seconds per unit of a duration field: from its name (`_ms`, `_seconds`), ECS `event.duration`
    (nanoseconds), else floats are seconds and integers milliseconds."""
    parts = info.parts
    for names, factor in ((("ms", "millis", "milliseconds", "msec"), 0.001), (("us", "micros", "microseconds"), 1e-6),
                          (("ns", "nanos", "nanoseconds"), 1e-9), (("s", "sec", "secs", "seconds"), 1.0)):
        if parts[-1] in names:
            return factor
    if info.name == "event.duration":
        return 1e-9
    return 1.0 if info.type in ("float", "double", "half_float", "scaled_float") else 0.001


def _number(value: float) -> Scalar:
    rounded = round(value, 6)
    return int(rounded) if rounded == int(rounded) else rounded


def is_syslog(info: FieldInfo) -> bool:
    return "syslog" in info.parts or "severity" in info.parts


def levels_above(info: FieldInfo, level: str) -> list[str]:
    """The levels more severe than `level` on the field's ladder ("err and above")."""
    ladder = SYSLOG_LADDER if is_syslog(info) else APP_LADDER
    return list(ladder[:ladder.index(level)]) if level in ladder else []


def level_values(info: FieldInfo, level: str) -> list[Scalar]:
    syslog = is_syslog(info)
    names = [SYSLOG_LEVELS.get(level, level)] if syslog else APP_LEVELS.get(level, [level])
    return [form for name in names for form in dict.fromkeys((name, name.upper(), name.capitalize()))]


def clause_for(value: Value, info: FieldInfo, vocab: Vocabulary, cmp: str, mode: str, exclude: bool) -> FieldClause:
    words = value.token.text if not cmp or info.type not in NUMERIC else f"{cmp} {value.token.text}"
    base = {"field": info.name, "exclude": exclude, "words": words}
    if info.type in NUMERIC:
        if value.type == "status_class":
            digit = int(value.text)
            return FieldClause(op="range", gte=digit * 100, lte=digit * 100 + 99, **base)
        amount = value.number or 0.0
        if value.type == "duration":
            amount /= _duration_unit(info)
        elif value.type == "size" and "kb" in info.parts:
            amount /= 1024
        number = _number(amount)
        if cmp in ("gt", "gte", "lt", "lte"):
            return FieldClause(op="range", **{cmp: number}, **base)
        return FieldClause(op="term", value=number, **base)
    if info.type == "ip":
        return FieldClause(op="term", value=value.text, **base)
    if value.type == "verb" and "|" in value.text:  # "reads": get, list or watch
        return FieldClause(op="terms", values=list(value.text.split("|")), **base)
    text = value.text
    target = info.name
    if info.type in TEXTUAL and (mode in ("prefix", "suffix") or "*" in text) and info.name in vocab.keyword_of:
        target = vocab.keyword_of[info.name]
    elif info.type in TEXTUAL:
        return FieldClause(op="phrase", value=text, **base)
    base["field"] = target
    if value.type == "status_class":
        return FieldClause(op="prefix", value=value.text, **base)
    if mode == "prefix" or (text.endswith("*") and "*" not in text[:-1]) or (
            value.type == "path" and len(text) > 1 and text.endswith("/") and "*" not in text):  # "/static/": under it
        return FieldClause(op="prefix", value=text.rstrip("*"), **base)
    if mode == "suffix":
        return FieldClause(op="wildcard", value="*" + text.lstrip("*"), **base)
    if mode == "contain" or info.type in TEXTUAL or (value.type == "client" and info.kind == "agent"):
        return FieldClause(op="wildcard", value=f"*{text.strip('*')}*", **base)
    if "*" in text:
        return FieldClause(op="wildcard", value=text, **base)
    return FieldClause(op="term", value=text, **base)


def infer_field(value: Value, vocab: Vocabulary) -> FieldInfo | None:
    """The field a value's type alone points to, when the index has exactly the kind for it."""
    if value.type == "outcome":
        return outcome_field(vocab)
    if value.type == "tls":
        return next((f for f in vocab.fields.values() if f.type in EXACT and {"tls", "ssl"} & set(f.parts)), None)
    kind = INFERRED_KIND.get(value.type)
    if kind is None:
        return None
    for info in vocab.of_kind(kind):
        if fits(value, info):
            return info
    if value.type == "camel":  # "DeadlineExceeded" where there are no event reasons: an error class or code
        return next((f for f in vocab.of_kind("error") if fits(value, f)), None) or error_code_field(value, vocab)
    if value.type == "method":  # "UPDATE и DELETE" where there is no HTTP method: a statement's operation
        return next((f for f in vocab.of_kind("operation") if fits(value, f)), None)
    if value.type == "env":  # "events in staging" where namespaces are the environments
        return next((f for f in vocab.of_kind("namespace") if fits(value, f)), None)
    if value.type in ("exception", "quoted"):
        return message_field(vocab)
    return None


def error_code_field(value: Value, vocab: Vocabulary) -> FieldInfo | None:
    """A keyword field named for an error's code or type (`error_code`, `err.type`): S3's "NoSuchKey"."""
    return next((f for f in vocab.fields.values() if f.type in EXACT and "error" in f.parts[:-1]
                 and f.parts[-1] in ("code", "type", "class", "name", "reason") and fits(value, f)), None)


def message_field(vocab: Vocabulary) -> FieldInfo | None:
    found = vocab.of_kind("message")
    text = [f for f in found if f.type in TEXTUAL]
    return (text or found)[0] if text or found else None


def field_mention(tokens: list[Token], index: int, vocab: Vocabulary) -> tuple[FieldInfo, int] | None:
    """The field named by the words starting at `index`, and how many tokens name it."""
    run: list[Token] = []
    words: list[str] = []  # the run's words; a level word after a noun as the level's English name
    for token in tokens[index:index + 4]:
        if token.kind != "word" or token.tag or token.used:
            break
        level = level_of(token)
        if level is not None and run and any(level in f.parts and vocab.names_part(words[-1], f)
                                             for f in vocab.fields.values()):
            run.append(token)  # "класс ошибки", "тип ошибки": err_class, error.type
            words.append(level)
            continue
        following = tokens[position + 1] if (position := index + len(run)) + 1 < len(tokens) else None
        if level is not None and not run and following is not None and following.kind == "word" and any(
                (f.kind == "error" or level in f.parts) and vocab.names_part(following.text, f)
                for f in vocab.fields.values()):
            run.append(token)  # "error class X": the exception's class, not the level; "error message": errMsg
            own = any(level in f.parts and vocab.names_part(following.text, f) for f in vocab.fields.values())
            words.append("exception" if level == "error" and not own else level)
            continue
        if run and (level is not None or token.low in KNOWN_NAMESPACES):
            break  # "namespace kube-system": a known value, not more of the name
        if not (vocab.is_part_word(token.text) or vocab.is_field_word(token.text)):
            break
        run.append(token)
        words.append(token.text)
    if not run:
        return None
    if level_of(run[0]) is not None and len(run) == 1:
        return None
    while run:
        if any(vocab.is_field_word(t.text) for t in run) or len(run) >= 2:
            found = vocab.names(words)
            if found is not None:
                info = found[0]
                # Keep only the words that really name this field ("pod checkout": "checkout" is a value).
                keep, joined = 0, re.sub(r"[._]", "", info.name.lower())
                for word in words:
                    spelt = "".join(words[:keep + 1]).lower()  # "stack trace": `stacktrace`, one part
                    if vocab.names_part(word, info) or vocab.is_kind_word(word, info) or (
                            keep and joined.startswith(spelt)):
                        keep += 1
                    else:
                        break
                if keep:
                    return info, keep
        run.pop()
        words.pop()
    return _weak_named(tokens, index, vocab)


def _weak_named(tokens: list[Token], index: int, vocab: Vocabulary) -> tuple[FieldInfo, int] | None:
    """"с кодом 57014", "SQLSTATE 40P01", "types send-email": a word too common to name a field alone
    names the one field it is a name part of that takes the identifier or number right after it."""
    token = tokens[index]
    if token.kind != "word" or token.tag or token.used or index + 1 >= len(tokens) or level_of(token) is not None:
        return None
    value = typed_value(tokens[index + 1], vocab)
    if value is None or value.type in ("word", "quoted") or level_of(tokens[index + 1]) is not None:
        return None
    found = [f for f in vocab.fields.values() if f.type in EXACT | NUMERIC and f.kind != "message"
             and vocab.names_part(token.text, f) and fits(value, f)]
    return (found[0], 1) if len(found) == 1 else None


def agg_field(info: FieldInfo, vocab: Vocabulary) -> str | None:
    if info.type in TEXTUAL:
        return vocab.keyword_of.get(info.name)
    return info.name if info.type in EXACT | NUMERIC | {"ip", "boolean"} else None


def describe(clause: FieldClause) -> str:
    if clause.op == "range":
        bounds = [f"{sign} {v}" for sign, v in ((">=", clause.gte), (">", clause.gt), ("<=", clause.lte),
                                                 ("<", clause.lt)) if v is not None]
        what = f"{clause.field} {' and '.join(bounds)}"
    elif clause.op == "terms":
        what = f"{clause.field} one of {', '.join(dict.fromkeys(str(v).lower() for v in clause.values))}"
    else:
        verb = {"term": "=", "prefix": "starts with", "wildcard": "matches", "phrase": "contains",
                "match": "matches", "exists": "exists"}[clause.op]
        what = f"{clause.field} {verb} {clause.value}" if clause.op != "exists" else f"{clause.field} exists"
    return ("not " if clause.exclude else "") + what + (f' ("{clause.words}")' if clause.words else "")


def join_ranges(clauses: list[FieldClause]) -> None:
    """A lower and an upper bound on one field, read apart ("от 100 до 500 EUR"), are one range."""
    for upper in [c for c in clauses if c.op == "range" and c.gte is None and c.gt is None]:
        lower = next((c for c in clauses if c is not upper and c.op == "range" and c.field == upper.field
                      and c.exclude == upper.exclude and c.lte is None and c.lt is None), None)
        if lower is not None:
            lower.lte, lower.lt, lower.words = upper.lte, upper.lt, f"{lower.words} … {upper.words}"
            clauses.remove(upper)
