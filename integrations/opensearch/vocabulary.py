"""The words an index's mapping gives a log question: each field's name split into parts and stemmed
(English and Russian Snowball, as knowledge.sparse does), plus a small synonym table per field *kind*.

`http.response.status_code` is named by "status", "code", "статус", "кода"; `kubernetes.pod_name`
by "pod", "подов"; `process.name` is of kind service, so "program" and "программы" name it too. A
field's kind comes from its name parts and type, never from a list of phrasings; which field a
run of words names is scored by how many of its parts they match (exact parts first, kind
synonyms next), so "upstream response time" finds `nginx.upstream_response_time`.
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer
from pydantic import BaseModel, Field

from core.typos import one_typo_apart
from integrations.opensearch.field_words import russian_parts
from integrations.opensearch.mapping import CANDIDATES, DATE, EXACT, NUMERIC

_STEMMERS = {"en": snowballstemmer.stemmer("english"), "ru": snowballstemmer.stemmer("russian")}
_CYRILLIC = re.compile(r"[а-яё]")
# camelCase and acronyms split ("sourceIPs": source, IPs; "HTTPStatus": HTTP, Status).
_PARTS = re.compile(r"[A-Z]+s(?![a-z])|[A-Z]+(?=[A-Z][a-z])|[A-Z]*[a-z]+|[A-Z]+|\d+|[а-яёА-ЯЁ]+")
TEXTUAL = {"text", "match_only_text"}

# kind -> (field-name parts that make a field of this kind, question words that name the kind).
# Question words are stems or stem prefixes (Russian endings vary: "неймспейсе", "подов").
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "pod": (("pod",), ("pod", "под")),
    "namespace": (("namespace", "ns"), ("namespace", "ns", "неймспейс", "нэймспейс", "пространств")),
    "container": (("container",), ("container", "контейнер")),
    "host": (("host", "hostname", "node", "vhost", "server", "machine", "domain", "authority"),  # HTTP/2 :authority
             ("host", "hostnam", "node", "server", "machin", "box", "хост", "нод", "сервер", "узл", "узел", "машин")),
    "service": (("service", "svc", "app", "application", "program", "appname", "component", "workload", "process"),
                ("servic", "svc", "app", "applic", "program", "daemon", "process", "compon", "сервис", "приложен",
                 "программ", "процесс", "демон", "компонент")),
    "method": (("method", "verb"), ("method", "verb", "метод")),
    "operation": (("operation", "command"), ("operat", "command", "операц")),
    "path": (("path", "url", "uri", "route", "endpoint"),
             ("path", "url", "uri", "rout", "endpoint", "пут", "урл", "роут", "маршрут", "эндпоинт", "ручк")),
    "agent": (("agent", "useragent", "ua"), ("agent", "useragent", "ua", "browser", "агент", "браузер", "юзер-агент")),
    "status": (("status", "code"), ("status", "code", "статус", "код")),
    "bytes": (("bytes", "size", "length"), ("byte", "size", "payload", "байт", "размер", "объем", "объём", "вес")),
    "duration": (("duration", "latency", "took", "elapsed", "time", "seconds", "ms", "run", "runtime", "execution"),
                 ("durat", "latenc", "took", "time", "длительн", "задержк", "время", "времен", "латентн")),
    "level": (("level", "severity", "loglevel", "priority", "outcome"),
              ("level", "sever", "уровн", "уровен", "серьезн")),
    "message": (("message", "msg", "log"), ("messag", "msg", "text", "сообщен", "текст")),
    "error": (("exception", "error"), ("except", "исключен", "эксепшн")),
    "ip": (("ip", "clientip"), ("ip", "address", "addr", "client", "адрес", "айпи", "айп", "айпишник", "клиент")),
    "user": (("user", "username", "login", "customer", "account"),
             ("user", "customer", "account", "пользовател", "юзер", "логин", "клиент", "аккаунт")),
    "stream": (("stream",), ("stream", "поток", "стрим")),
    "reason": (("reason",), ("reason", "причин")),
    "count": (("count", "retry", "retries", "restarts", "attempt", "attempts", "tries"),
              ("count", "retri", "retry", "repeat", "повтор", "попыт", "ретра")),
    # Spring's active profile (`profile`, `spring.profiles.active`) and a deploy stage are the environment.
    "env": (("env", "environment", "profile", "profiles", "stage"), ("env", "environ", "profil", "окружен", "стенд",
                                                                     "профил")),
    "resource": (("resource",), ("resourc", "ресурс")),
    "facility": (("facility",), ("facil", "фасилит")),  # syslog's
    "money": (("amount", "sum", "total", "price", "cost"),
              ("amount", "sum", "total", "price", "cost", "сумм", "стоимост", "цен")),
    "currency": (("currency",), ("currenc", "валют")),
    "region": (("region", "zone", "az", "datacenter", "dc"), ("region", "zone", "регион", "зон", "датацентр")),
    "gateway": (("gateway", "provider", "processor", "acquirer", "psp"), ("gateway", "provid", "шлюз", "провайдер")),
}
# Abbreviations in field names -> the word they stand for ("dur_ms": duration, "resp_sz": response
# size); a field keeps its own spelling too, so "svc" in a question still names `svc`.
ABBREVIATIONS = {"dur": "duration", "sz": "size", "usr": "user", "exc": "exception", "ex": "exception",
                 "lvl": "level", "msg": "message", "svc": "service", "env": "environment", "err": "error",
                 "req": "request", "resp": "response", "rsp": "response", "addr": "address", "secs": "seconds",
                 "sec": "seconds", "cnt": "count", "num": "number", "src": "source", "dst": "destination",
                 "txn": "transaction", "tx": "transaction", "amt": "amount", "proc": "process",
                 "sts": "status", "stat": "status", "lat": "latency", "evt": "event", "ua": "agent",
                 "len": "length", "meth": "method", "svr": "server", "srv": "server",
                 "cust": "customer", "acct": "account", "qty": "quantity", "sev": "severity", "pri": "priority",
                 "hst": "host", "db": "database", "rc": "code", "gw": "gateway", "ips": "ip", "ids": "id",
                 "cls": "class", "op": "operation", "opr": "operation", "dc": "datacenter", "ver": "version"}
# Kinds whose fields must be numbers (a range or a sort needs them).
NUMERIC_KINDS = {"bytes", "duration", "count", "money"}
# Words too common to name a field on their own ("show logs", "the time", "type of"); they still
# count as part of a longer name ("log level", "response time").
WEAK = {"log", "time", "name", "type", "code", "id", "kind", "source", "object", "request", "response", "event",
        "record", "лог", "врем", "код", "тип", "имя", "источник"}


@lru_cache(maxsize=65536)
def weak(word_stem: str) -> bool:
    """A word too common to name a field alone, in any form ("responses", "requests", "логов")."""
    # A Russian word is as common as the English part it names ("реквест": request; not "реквестер": requester).
    return word_stem in WEAK or word_stem in _WEAK_STEMS or any(p in WEAK for p in _english_parts(word_stem))


# A question may abbreviate too ("usr bob", "lat > 2s", "dur over 1s"): the same word either way. Not the
# level "err" (a value, not a field) nor the units.
_EXPANDED = {short: full for short, full in ABBREVIATIONS.items() if short not in ("err", "sec", "secs", "ex")}


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    word = word.lower().replace("ё", "е")
    word = _EXPANDED.get(word, word)
    language = "ru" if _CYRILLIC.search(word) else "en"
    return str(_STEMMERS[language].stemWord(word))


def name_parts(name: str) -> list[str]:
    """`http.response.status_code` -> [http, response, status, code]; `involvedObject` -> [involved, object];
    abbreviations spelled out: `resp_sz` -> [response, size]."""
    return [ABBREVIATIONS.get(p, p) for p in (p.lower() for p in _PARTS.findall(name))]


class FieldInfo(BaseModel):
    name: str
    type: str
    parts: list[str]
    stems: list[str]
    kind: str | None = None
    own: list[str] = Field(default_factory=list, description="stems of abbreviated parts as the mapping spells them")


class Vocabulary(BaseModel):
    """The fields of one index with their name stems and kinds; built once per mapping."""

    fields: dict[str, FieldInfo] = Field(default_factory=dict)
    keyword_of: dict[str, str] = Field(default_factory=dict, description="text field -> its .keyword sub-field")

    def of_kind(self, kind: str) -> list[FieldInfo]:
        """The fields of `kind`, in the order common layouts prefer (mapping.CANDIDATES), then by name."""
        found = [f for f in self.fields.values() if f.kind == kind]
        order = {name: i for i, name in enumerate(CANDIDATES.get(kind, ()))}
        return sorted(found, key=lambda f: (order.get(f.name, len(order)), _specific(f, kind), len(f.parts),
                                            not is_identity(f), f.name))

    def first(self, kind: str) -> FieldInfo | None:
        found = self.of_kind(kind)
        return found[0] if found else None

    def names(self, words: list[str]) -> tuple[FieldInfo, float] | None:
        """The field a run of question words names, with its score, or None."""
        words = [spelled(w) for w in words]
        words = [part for w in words for part in (w.split("-") if w.replace("-", "").isalpha() else [w]) if part]
        stems = [stem(w) for w in words]
        best: tuple[float, int, int, bool, FieldInfo] | None = None
        for info in self.fields.values():
            score = _score(stems, [w.lower() for w in words], info)
            if score <= 0:
                continue
            # On a tie the generic measure wins ("по времени": query_time_ms, not lock_wait_ms).
            rank = (score, -_specific(info, info.kind or ""), -len(info.parts), is_identity(info), info)
            if best is None or rank[:4] > best[:4]:
                best = rank
        return (best[4], best[0]) if best else None

    def is_field_word(self, word: str) -> bool:
        """Whether this one word names a field (or a kind the index has) by itself."""
        word = spelled(word)
        low, word_stem = word.lower(), stem(word)
        if low in self.fields or word in self.fields or (low.endswith("s") and low[:-1] in self.fields):
            return True  # "requesters": a field's whole name, even where its stem is too common ("request")
        if not word.replace("-", "").isalpha():  # "node-12", "app-5": values, not field names
            return False
        if "-" in word:  # "юзер-агентом", "компонентам-источникам": the first word leads; "x-request-id": all
            first, parts = word.split("-")[0], [p for p in word.split("-") if len(p) > 1]
            return self.is_field_word(first) or any(_kind_match(word_stem, f) for f in self.fields.values()) or (
                len(parts) >= 2 and all(self.is_part_word(p) for p in parts))
        if weak(word_stem) or low in WEAK:
            return False
        return any(_part_match(word_stem, info) or _kind_match(word_stem, info) for info in self.fields.values())

    def is_kind_word(self, word: str, info: FieldInfo) -> bool:
        word = spelled(word)
        if "-" in word:
            return any(self.is_kind_word(part, info) for part in word.split("-") if part)
        return _kind_match(stem(word), info)

    def names_part(self, word: str, info: FieldInfo) -> bool:
        """Whether `word` is one of `info`'s name parts, in any language ("мерчантов": merchant_id)."""
        word = spelled(word)
        if "-" in word and word.lower() != info.name.lower():
            return any(self.names_part(part, info) for part in word.split("-") if part)
        return word.lower() == info.name.lower() or _part_match(stem(word), info)

    def is_part_word(self, word: str) -> bool:
        """Whether the word is one of the name parts of some field (weak words included)."""
        word = spelled(word)
        if word in self.fields:
            return True
        if not word.replace("-", "").isalpha():
            return False
        if "-" in word:
            return self.is_field_word(word)
        word_stem = stem(word)
        return any(_part_match(word_stem, info) for info in self.fields.values())


_LATIN = dict(zip("абвгдезийклмнопрстуфхцыэ", "abvgdeziiklmnoprstufhcye", strict=True)) | {
    "ж": "zh", "ч": "ch", "ш": "sh", "щ": "sch", "ю": "yu", "я": "ya", "ь": "", "ъ": "", "ё": "e"}


@lru_cache(maxsize=65536)
def spelled(word: str) -> str:
    """A long field word with one typo spelled right ("namepsace", "контейнре", "неймпейсам"), its ending
    kept; any other word as it is. Only synonyms of 7 letters or more: a short one is too near others."""
    low = word.lower()
    if len(low) < 6 or not low.isalpha() or any(low.startswith(syn) for syn in _LONG_WORDS):
        return word
    for syn in _LONG_WORDS:
        if low[:2] != syn[:2]:
            continue
        for cut in (len(syn) - 1, len(syn), len(syn) + 1):
            if cut <= len(low) <= cut + 4 and one_typo_apart(low[:cut], syn):
                return syn + low[cut:]
    return word


@lru_cache(maxsize=65536)
def latin(word: str) -> str:
    """Cyrillic spelled in Latin letters ("мерчант" -> "merchant", "регион" -> "region")."""
    return "".join(_LATIN.get(ch, ch) for ch in word)


@lru_cache(maxsize=65536)
def _forms(word_stem: str) -> tuple[str, ...]:
    if _CYRILLIC.search(word_stem):
        spelled = latin(word_stem)  # "топик" -> topik, topic; "клиент" -> klient, client; "воркер" -> worker
        forms = [word_stem, spelled]
        if "k" in spelled:
            forms.append(spelled.replace("k", "c"))
        if spelled.startswith("v"):
            forms.append("w" + spelled[1:])
        return tuple(forms)
    return (word_stem, word_stem[:-1]) if word_stem.endswith("s") and len(word_stem) > 3 else (word_stem,)


# A server's view of traffic: what it answers goes out, what it is sent comes in (bytes_in, bytes_out).
DIRECTIONS = {"respons": "out", "ответ": "out", "sent": "out", "download": "out", "request": "in", "запрос": "in",
              "upload": "in", "receiv": "in", "incoming": "in", "входящ": "in", "outgoing": "out", "исходящ": "out"}


# Name parts that say a measure's direction: `bytes_sent` goes out as `bytes_out` does.
DIRECTION_PARTS = {"out": {"out", "sent", "egress", "outgoing", "outbound", "tx"},
                   "in": {"in", "received", "ingress", "incoming", "inbound", "rx"}}


def directed(info: FieldInfo, direction: str | None) -> bool:
    """Whether the measure's name says `direction` ("out": `bytes_out`, `bytes_sent`)."""
    return direction is not None and bool(DIRECTION_PARTS.get(direction, set()) & set(info.parts))


def direction_of(word: str) -> str | None:
    """"responses" -> out, "requests" -> in: the direction part a word names on a pair of measures."""
    low = word.lower()
    return next((part for prefix, part in DIRECTIONS.items() if low.startswith(prefix)), None)


def is_measure(info: FieldInfo) -> bool:
    """A number that measures (a duration, size, count, amount, lag), not one that names (a status code,
    an id, a port): sorting on it means something, a terms aggregation on it does not."""
    return info.type in NUMERIC and info.kind != "status" and not (
        set(info.parts) & {"id", "code", "port", "pid", "uid", "gid", "number", "version", "partition"})


def _specific(info: FieldInfo, kind: str) -> int:
    """How many name parts say more than the kind: `query_time_ms` 1 (query), `lock_wait_ms` 2. Of several
    measures, the one a question did not single out is the generic one ("дольше 5 сек": the query's time)."""
    return sum(p not in KINDS[kind][0] for p in info.parts) if kind in KINDS else 0


def is_identity(info: FieldInfo) -> bool:
    """A field that names one thing ("user.username", "host.name"), not a set of them ("user.groups")."""
    return bool(info.parts) and info.parts[-1] in ("name", "username", "id", "login", "hostname")


def _part_match(word_stem: str, info: FieldInfo) -> bool:
    if word_stem in _KIND_WORDS and "kind" in info.parts:  # "типам объектов", "object types": involvedObject.kind
        return True
    for form in _forms(word_stem):
        if form in info.stems or form in info.own or (len(form) >= 4 and any(s.startswith(form) for s in info.stems)):
            return True
        for english in _english_stems(form):  # "очереди": queue, also `queuedSec` (stem "queu")
            if any(s == english or (len(s) >= 4 and english.startswith(s)) for s in info.stems):
                return True
    return False


@lru_cache(maxsize=65536)
def _english_parts(form: str) -> tuple[str, ...]:
    """The English name parts a Russian form names ("очередей": queue; "задач": job, task)."""
    return next((parts for key, parts in _RU_PART_STEMS.items()
                 if form == key or (len(key) >= 4 and form.startswith(key))), ())


@lru_cache(maxsize=65536)
def _english_stems(form: str) -> tuple[str, ...]:
    return tuple(stem(part) for part in _english_parts(form))


def _kind_match(word_stem: str, info: FieldInfo) -> bool:
    if info.kind is None:
        return False
    return any(form.startswith(syn) and len(form) <= len(syn) + 3 if len(syn) >= 4 else form == syn
               for syn in _KIND_SYNONYMS[info.kind] for form in _forms(word_stem))


def _score(stems: list[str], words: list[str], info: FieldInfo) -> float:
    if info.name.lower() in ("_".join(words), ".".join(words), "".join(words).removesuffix("s")):
        return 10.0  # its whole name, plural too ("requesters")
    direct = sum(_part_match(s, info) for s in stems)
    kind = sum(_kind_match(s, info) for s in stems if not _part_match(s, info))
    if direct + kind == 0 or (all(weak(s) for s in stems) and direct < 2):  # "request time": two parts
        return 0.0
    unmatched = sum(1 for s in info.stems if s not in stems and not any(s.startswith(x) for x in stems if len(x) >= 4))
    sub = 0.1 if info.name.endswith(".keyword") else 0.0
    # Fewer unmatched parts rank higher, but a kind word always names its field ("размера": the bytes).
    return max(2.0 * direct + 1.0 * kind - 0.3 * unmatched - sub, 0.05 * (direct + kind))


def _kind_of(name: str, field_type: str, parts: list[str]) -> str | None:
    if field_type in DATE:
        return None
    if field_type == "ip":
        return "ip"
    if field_type in TEXTUAL and any(p in ("message", "msg", "log") for p in parts):
        return "message"
    if parts == ["class"] and field_type in EXACT:  # a layout's bare `class`/`cls`: the exception's class
        return "error"
    # The last parts say most ("kubernetes.pod_name": pod; "source.ip": ip); "name"/"id" say little.
    for part in reversed([p for p in parts if p not in ("name", "id", "keyword", "original")] or parts):
        for kind, (field_parts, _) in KINDS.items():
            if part in field_parts:
                if (kind in NUMERIC_KINDS and field_type not in NUMERIC) or kind == "message":
                    continue
                if kind in ("status", "service", "host", "path", "method") and field_type not in NUMERIC | EXACT:
                    continue
                if kind in ("service", "host", "path", "method", "pod", "namespace") and field_type in NUMERIC:
                    continue
                if kind == "error" and "type" not in parts and "class" not in parts and "exception" not in parts:
                    continue
                return kind
    return None


_WEAK_STEMS = {stem(w) for w in WEAK}
# Russian words for name parts (field_words.yaml) by stem, longest first: "очередям" -> queue.
_RU_PART_STEMS: dict[str, tuple[str, ...]] = {}
for _word, _parts in russian_parts().items():
    _RU_PART_STEMS[stem(_word)] = tuple(dict.fromkeys((*_RU_PART_STEMS.get(stem(_word), ()), *_parts)))
_RU_PART_STEMS = dict(sorted(_RU_PART_STEMS.items(), key=lambda item: -len(item[0])))
_LONG_WORDS = tuple(sorted({w for _, words in KINDS.values() for w in words if len(w) >= 7 and w.isalpha()}
                           | {w for w in _RU_PART_STEMS if len(w) >= 7}))
# A synonym as written and as stemmed ("namespace" stems to "namespac", which must name `ns` too).
_KIND_SYNONYMS = {kind: tuple(dict.fromkeys(s for syn in words for s in (syn, stem(syn)) if len(s) >= 2))
                  for kind, (_, words) in KINDS.items()}
_KIND_WORDS = {stem(w) for w in ("type", "types", "тип", "типам", "типы", "типов", "kind")}


@lru_cache(maxsize=256)
def _cached(items: tuple[tuple[str, str], ...]) -> Vocabulary:
    fields: dict[str, FieldInfo] = {}
    keyword_of: dict[str, str] = {}
    for name, field_type in items:
        if field_type in ("object", "nested", "alias"):
            continue
        if name.endswith(".keyword") and name[: -len(".keyword")] in dict(items):
            keyword_of[name[: -len(".keyword")]] = name
            continue
        parts = name_parts(name)
        own = [stem(p.lower()) for p in _PARTS.findall(name) if p.lower() in ABBREVIATIONS]
        fields[name] = FieldInfo(name=name, type=field_type, parts=parts, stems=[stem(p) for p in parts],
                                 kind=_kind_of(name, field_type, parts), own=own)
    return Vocabulary(fields=fields, keyword_of=keyword_of)


def vocabulary(fields: dict[str, str]) -> Vocabulary:
    """The vocabulary of a mapping (cached: /logs asks about the same few mappings)."""
    return _cached(tuple(sorted(fields.items())))
