"""The word classes of a log question: the function words that steer the reading (PHRASES: comparison,
exclusion, grouping, sorting, joining; the longest phrase wins), fillers and boundaries, and the closed
sets a word can be a value of by itself (levels, programs, environments, currencies, HTTP methods, units)."""

from __future__ import annotations

import re
from typing import Literal

# Level words (prefixes) -> the level they mean; a layout's own spelling is chosen in level_values.
LEVELS = {"error": "error", "err": "error", "ошиб": "error", "эррор": "error", "еррор": "error", "эрор": "error",
          "ерор": "error", "warn": "warning",
          "предупрежд": "warning", "варнинг": "warning", "ворнинг": "warning", "fatal": "fatal", "фатал": "fatal",
          "critical": "critical",
          "crit": "critical", "критич": "critical", "debug": "debug", "дебаг": "debug", "отладоч": "debug",
          "info": "info", "инфо": "info", "emerg": "emergency", "notice": "notice", "panic": "panic",
          "alert": "alert",
          "normal": "normal", "нормальн": "normal"}
SYSLOG_LEVELS = {"error": "err", "warning": "warning", "critical": "crit", "fatal": "emerg", "emergency": "emerg",
                 "panic": "emerg"}
APP_LEVELS = {"warning": ["warn", "warning"], "critical": ["critical", "crit"], "fatal": ["fatal"]}
# Levels from the most severe down ("err and above": emerg, alert, crit, err): syslog's (RFC 5424) and
# applications' (log4j, logrus, PostgreSQL's PANIC/FATAL/ERROR).
SYSLOG_LADDER = ("emergency", "alert", "critical", "error", "warning", "notice", "info", "debug")
APP_LADDER = ("panic", "fatal", "critical", "error", "warning", "info", "debug")
KNOWN_PROGRAMS = ("nginx", "apache", "haproxy", "traefik", "envoy", "postgres", "postgresql", "mysql", "redis",
                  "kafka", "kubelet", "coredns", "sshd", "systemd", "kernel", "containerd", "dockerd", "etcd",
                  "opensearch", "elasticsearch", "rabbitmq", "memcached", "cron", "crond", "postfix", "dhclient",
                  "sudo", "java", "ntpd",
                  "psql", "pgbouncer", "pg_dump", "pg_restore", "patroni",
                  "chronyd", "rsyslogd", "auditd", "smtpd", "dovecot", "named", "docker",
                  # Kubernetes components that report events (their documented source names)
                  "default-scheduler", "kube-scheduler", "kube-proxy", "kube-controller-manager", "node-controller",
                  "replicaset-controller", "deployment-controller", "job-controller", "cronjob-controller",
                  "statefulset-controller", "daemonset-controller", "endpoint-controller", "taint-controller",
                  "cluster-autoscaler", "karpenter", "attachdetach-controller", "persistentvolume-controller")
# Environment names (a field of kind env takes them without being named: "in prod", "на проде"); a
# Russian one is matched by its stem, so its case forms come with it ("прода", "на стейдже").
ENVIRONMENTS = {"prod": ("prod", "production", "прод", "продакшн", "продакшен", "продакшене"),
                "staging": ("staging", "stage", "стейдж", "стейджинг"), "dev": ("dev", "дев"), "qa": ("qa",),
                "preprod": ("preprod", "препрод")}
# The last hyphenated part of a service's name ("order-service", "billing-api", "refund-worker"): such an
# identifier is a value of the mapping's service/app field, named or not.
# Not "proxy": "istio-proxy" is a sidecar container.
SERVICE_SUFFIXES = {"service", "svc", "api", "worker", "app", "server", "gateway", "consumer", "producer", "daemon",
                    "backend", "frontend", "processor"}
# Function words a typo must not hide ("exlcuding", "sinse", "requets"): respelled before the reading. Five
# letters or more, none one typo from a value people filter on ("after" is one from "alter").
RESPELLED = ("since", "excluding", "except", "without", "between", "ignoring", "besides", "requests", "responses")
STATUS_NUMBER = re.compile(r"[1-5]\d\d")  # a number that is an HTTP status ("404 с урла", "503s")
# After "what" they make it a question about the lines ("what did X do"), not "which X".
AUXILIARIES = {"did", "does", "do", "was", "were", "is", "are", "has", "have", "happened", "went"}
# Syslog facility names (RFC 5424) that are nothing else: "user", "mail", "cron", "daemon" are programs and words.
FACILITIES = ("authpriv", "kern", "uucp", "lpr", *(f"local{n}" for n in range(8)))
# Kubernetes' own namespaces (a namespace field takes them without being named: "без kube-system").
KNOWN_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")
# Russian slang for HTTP status classes ("пятисотки", "четырёхсотые").
STATUS_CLASS_WORDS = {"пятисот": 5, "четырехсот": 4, "четырёхсот": 4, "трехсот": 3, "трёхсот": 3, "двухсот": 2}
# Stems that name the hits' own time ("по возрастанию времени", "by time ascending").
TIME_WORDS = {"time", "timestamp", "date", "врем", "времен", "дат"}
# Russian names of programs (syslog's `process.name` keeps the English one).
PROGRAM_WORDS = {"ядр": "kernel", "крон": "cron", "кронтаб": "cron"}
LOCATIVE = {"on", "from", "at", "на", "с", "со", "от", "у", "из"}
INSIDE = {"in", "в", "во"}  # Kubernetes: "in checkout" is the namespace
TOWARD = {"to", "into", "к", "ко"}  # "PUTs to backups-eu": where the request went (a bucket, a queue)
VIA = {"via", "through", "через"}  # "via adyen": the gateway the request went through
# ISO 4217 codes and currency names -> the code (a number before one is an amount of money).
CURRENCIES = {**{code.lower(): code for code in ("USD", "EUR", "RUB", "GBP", "JPY", "CNY", "CHF", "KZT", "TRY", "INR",
                                                 "BRL", "PLN", "SEK", "UAH")},
              "dollar": "USD", "dollars": "USD", "доллар": "USD", "euro": "EUR", "euros": "EUR", "евро": "EUR",
              "рубл": "RUB", "ruble": "RUB", "rubles": "RUB", "rouble": "RUB", "roubles": "RUB", "pound": "GBP",
              "pounds": "GBP", "фунт": "GBP", "$": "USD", "€": "EUR", "₽": "RUB"}
HTTP_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE")
# SQL statement kinds (a database log's operation field), written in capitals as SQL is.
SQL_VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "COPY", "MERGE", "TRUNCATE", "ALTER", "CREATE", "DROP", "GRANT",
             "REVOKE", "VACUUM", "ANALYZE", "DDL")
# HTTP clients and browsers by the token their User-Agent carries ("от курла": curl; "Firefox").
CLIENT_TOOLS = {"curl": "curl", "курл": "curl", "wget": "wget", "вгет": "wget", "python-requests": "python-requests",
                "python-urllib": "python-urllib", "go-http-client": "go-http-client", "okhttp": "okhttp",
                "axios": "axios", "node-fetch": "node-fetch", "apache-httpclient": "apache-httpclient",
                "postman": "postman", "постман": "postman", "postmanruntime": "postmanruntime", "httpie": "httpie",
                "insomnia": "insomnia", "libwww-perl": "libwww-perl", "guzzlehttp": "guzzlehttp", "aiohttp": "aiohttp",
                "python-httpx": "python-httpx", "firefox": "firefox", "файрфокс": "firefox", "chrome": "chrome",
                "хром": "chrome", "safari": "safari", "сафари": "safari", "opera": "opera", "msie": "msie",
                "yabrowser": "yabrowser"}
STREAMS = ("stdout", "stderr")


# "какой" and "чей" in every case and gender, and "who": a question over the values of a field.
WHICH_RU = (*("как" + ending for ending in ("ой", "ая", "ое", "ие", "ого", "ому", "им", "ом", "ую", "их", "ими")),
            "чей", "чья", "чьё", "чье", "чьи", "чьих", "чьим", "чьего")
WHO = ("who", "кто", "кого", "кому", "кем")

# Words that announce a grouping before its preposition ("grouped per", "сгруппируй по", "с группировкой по").
GROUP_VERBS = ("group", "сгруппир", "группир", "split", "broken", "break", "разбей", "разбить", "разбит", "разложи")
Tag = Literal["filler", "noise", "boundary", "conn", "or", "excl", "gt", "gte", "lt", "lte", "post_gte", "post_lte",
              "between", "group", "top", "which", "sort", "asc", "desc", "contain", "prefix", "suffix", "oldest",
              "newest", "slow"]
# Multi-word first: the longest phrase at a position wins.
PHRASES: dict[tuple[str, ...], Tag] = {
    **{tuple(p.split()): "gt" for p in (
        "more than", "greater than", "longer than", "bigger than", "larger than", "slower than", "higher than",
        "heavier than", "over", "above", "exceeding", "exceeds", "больше", "более", "свыше", "дольше", "выше",
        "тяжелее", "превышает", "превышающие", "медленнее", "больше чем", "дольше чем", "более чем", ">",
        "дороже", "длиннее", "pricier than", "more expensive than", "costlier than")},
    **{tuple(p.split()): "gte" for p in ("at least", "не менее", "не меньше", "минимум", "от", ">=", "≥", "min",
                                         *(f"{more} {o} {eq}" for more in ("больше", "более") for o in ("или", "либо")
                                           for eq in ("равно", "равен", "равна")),
                                         "greater than or equal to", "more than or equal to", "greater or equal to",
                                         "greater or equal")},
    **{tuple(p.split()): "lt" for p in (
        "less than", "under", "below", "faster than", "shorter than", "smaller than", "lower than", "меньше",
        "менее", "ниже", "быстрее", "меньше чем", "менее чем", "<", "дешевле", "короче",
        "cheaper than")},
    **{tuple(p.split()): "lte" for p in ("at most", "не более", "не больше", "up to", "до", "максимум", "<=", "≤",
                                         "max", *(f"{less} {o} {eq}" for less in ("меньше", "менее")
                                                  for o in ("или", "либо") for eq in ("равно", "равен", "равна")),
                                         "less than or equal to", "less or equal to", "less or equal")},
    **{tuple(p.split()): "post_gte" for p in ("or more", "and more", "and above", "or above", "or higher", "and higher",
                                              "or later", "and later", "и более", "и больше",
                                              "и выше", "+")},
    **{tuple(p.split()): "post_lte" for p in ("or less", "and less", "or fewer", "and below", "и менее", "и меньше")},
    ("between",): "between", ("между",): "between",
    **{tuple(p.split()): "noise" for p in ("больше всего", "чаще всего", "the most", "most", "кол-во", "how many",
                                           "number of", "count of", "всего")},
    **{tuple(p.split()): "excl" for p in (
        "without", "except", "excluding", "exclude", "not", "no", "non", "ignore", "ignoring", "minus", "other than",
        "but not", "but", "except for", "apart from", "besides", "без", "кроме", "исключая", "исключи", "исключить",
        "не",
        "не считая", "за исключением", "помимо", "ни", "but exclude", "leave out", "filter out", "hide", "скрой",
        "убери", "выкинь", "leaving out", "left out", "outside", "outside of")},
    **{tuple(p.split()): "group" for p in (
        "by", "per", "for each", "for every", "each", "grouped by", "group by", "broken down by", "breakdown by",
        "split by", "count by", "counts by", "по", "в разрезе", "для каждого", "для каждой", "на каждый",
        "на каждую", "с разбивкой по", "разбивка по", "сгруппируй по", "сгруппировать по", "группировка по",
        "по каждому", "по каждой", "в разбивке по", "distribution of", "breakdown of", "stats by", "statistics by",
        "stats per", "counts per", "count per", "статистика по", "распределение по", "распределение", "посчитай по",
        "сколько по", "number per",
        # "каждый" in every case and gender: "у каждого пода", "от каждой программы"
        *("кажд" + ending for ending in ("ый", "ого", "ому", "ым", "ом", "ая", "ой", "ую", "ое", "ые", "ых")))},
    **{tuple(p.split()): "top" for p in ("top", "топ", "most common", "most frequent", "самые частые",
                                         "наиболее частые", "самых частых", "чаще всего встречающиеся")},
    **{tuple(p.split()): "which" for p in ("which", "what", "which ones", "у каких", "в каких", *WHICH_RU, *WHO)},
    **{tuple(p.split()): "sort" for p in ("sorted by", "sort by", "order by", "ordered by", "отсортируй по",
                                          "отсортировать по", "сортировка по", "сортируй по", "отсортированные по")},
    **{tuple(p.split()): "asc" for p in ("ascending", "asc", "по возрастанию")},
    **{tuple(p.split()): "desc" for p in ("descending", "desc", "по убыванию")},
    **{tuple(p.split()): "contain" for p in (
        "containing", "contains", "contain", "with text", "with the text", "with message", "with the message",
        "mentioning", "mention", "mentions", "that mention", "saying", "that say", "matching", "with the phrase",
        "with phrase", "with the words", "with words", "где есть", "с текстом", "с сообщением", "со словами",
        "со словом", "с фразой", "со строкой", "в тексте", "в сообщении", "текст", "сообщение", "упоминающие",
        "упоминается", "упоминанием", "где упоминается", "с упоминанием", "где встречается", "where message",
        "message says", "msg")},
    **{tuple(p.split()): "prefix" for p in (
        "starting with", "beginning with", "that start with", "starts with", "start with", "prefixed with",
        "prefix", "begins with", "начинающиеся с", "начинающихся с", "начинается с", "начинающиеся на",
        "начинающихся на", "с префиксом", "на букву", "начинаются с", "начинаются на", "under")},
    **{tuple(p.split()): "suffix" for p in ("ending with", "ending in", "ends with", "заканчивающиеся на",
                                            "оканчивающиеся на")},
    **{tuple(p.split()): "oldest" for p in ("oldest first", "сначала старые", "earliest first", "oldest")},
    **{tuple(p.split()): "newest" for p in ("newest first", "latest first", "most recent", "сначала новые",
                                            "последние записи", "latest", "newest")},
    **{tuple(p.split()): "or" for p in ("or", "или", "либо", "|")},
    **{tuple(p.split()): "conn" for p in ("and", "и", ",", "&", "nor", "/", "as well as", "а также", "plus")},
    **{tuple(p.split()): "slow" for p in ("slow", "медленные", "медленных", "долгие", "долгих", "тормозящие",
                                          "тормозные",
                                          "тормозных")},
}
BOUNDARY = {"in", "on", "for", "from", "at", "with", "during", "via", "through", "where", "when", "that", "which",
            "since", "в", "во", "на", "для", "у", "за", "с", "со", "из", "от", "где", "когда", "которые",
            "который", "которых", "hitting", "to", "against", "into", "within",
            "only", "только"}  # "кроме sshd, только хосты web-*": the exclusion ends
FILLER = {
    "show", "me", "list", "find", "give", "get", "all", "the", "a", "an", "of", "any", "some", "logs", "log", "lines",
    "line", "requests", "request", "reqs", "req", "responses", "response", "entries", "entry", "messages", "events",
    "event", "records", "please", "pls", "what", "were", "are", "is", "was", "there", "have", "has", "had", "did",
    "do", "does", "happened", "happen", "how", "many", "count", "counts", "number", "total", "only", "just", "see",
    "look", "check", "search", "grep", "fetch", "pull", "display", "want", "need", "i", "we", "us", "our", "my",
    "can", "you", "could", "would", "be", "been", "it", "its", "this", "that", "these", "those", "ones", "got",
    "getting", "came", "come", "coming", "returned", "returning", "return", "returns", "status", "statuses", "hits",
    "hit", "calls", "call", "anything", "stuff", "things", "recent", "now", "right", "so", "far", "up", "until",
    "till", "then", "most", "same", "named", "called", "name", "=", ":", "equals", "equal", "value", "?", "!",
    "lately", "recently", "currently", "going", "on", "also", "too", "still", "ever", "yet", "latest", "times",
    "occurrences", "покажи", "покажите", "найди", "найти", "выведи", "дай", "все", "всё", "весь", "вся", "логи",
    "логов", "логах", "лог", "запросы", "запросов", "запрос", "ответы", "ответов", "мне", "пожалуйста", "плз",
    "какие", "были", "был", "была", "было", "есть", "записи", "записей", "сообщения", "сообщений", "сколько",
    "количество", "число", "события", "событий", "строки", "строк", "нужны", "нужно", "надо", "хочу", "посмотреть",
    "глянуть", "глянь", "посмотри", "выдай", "там", "тут", "здесь", "это", "эти", "этот", "вообще", "только",
    "именно", "что", "чтобы", "бы", "ли", "же", "ну", "а", "вот", "приходили", "пришли", "прилетели",
    "прилетало", "вызовы", "вызовов", "самые", "самых", "наиболее", "всего", "больше всего", "чаще",
    "называется", "именем", "равен", "равно", "статусом", "статус", "statusом", "сейчас", "недавно", "последние",
    "последних", "свежие", "новые", "раз", "штук", "штуки", "нам", "нас", "нашем", "нашей", "наш", "include",
    "including", "включая", "with", "first", "сначала", "usage", "activity", "show me", "which", "who",
    "k8s", "кубер", "кубере", "кубера",
    "with status", "saw", "seen", "whose", "whom", "тех", "те", "тем", "той", "них", "которых", "которые"}


# Words that multiply the number before them ("100 тыс строк", "2 million rows").
MULTIPLIERS = {"тыс": 1e3, "тысяч": 1e3, "тысячи": 1e3, "тысяча": 1e3, "thousand": 1e3, "млн": 1e6, "миллион": 1e6,
               "миллиона": 1e6, "миллионов": 1e6, "million": 1e6, "millions": 1e6}
DURATION_UNITS = {"ms": 0.001, "мс": 0.001, "msec": 0.001, "milli": 0.001, "миллисекунд": 0.001, "s": 1.0,
                  "sec": 1.0, "сек": 1.0, "с": 1.0, "min": 60.0, "мин": 60.0, "hour": 3600.0, "час": 3600.0}
SIZE_UNITS = {"b": 1, "byte": 1, "байт": 1, "k": 1024, "kb": 1024, "kib": 1024, "кб": 1024, "килобайт": 1024,
              "m": 1024 ** 2, "mb": 1024 ** 2, "mib": 1024 ** 2, "мб": 1024 ** 2, "мегабайт": 1024 ** 2,
              "gb": 1024 ** 3, "gib": 1024 ** 3, "гб": 1024 ** 3, "гигабайт": 1024 ** 3,
              "мег": 1024 ** 2, "гиг": 1024 ** 3}  # "50 мегов", "2 гига": slang


GLUE = {":", "=", "is", "are", "named", "called", "equals", "равен", "равно", "именем", "name", "с", "of", "the",
         "value", "=="}
