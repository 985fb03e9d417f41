"""A question's words as the index can match them: Russian read through an ops glossary and transliteration.

The bundled runbooks (and most ingested ones) are English, and the embedding model reads only
English. A Russian question ("под висит в pending", "забит диск на ноде") is therefore read word by
word: each Cyrillic word is stemmed (Snowball, as the index is), looked up in the RU->EN glossary
(`knowledge/data/ops_glossary.yaml`: "нода" -> node, "забит" -> full) and transliterated ("кубелет"
-> kubelet, "ингресс" -> ingress), so the sparse query carries the English terms too and the dense
query can be the English reading. `под` is the pod unless it is the preposition: followed by a noun
or adjective in the instrumental case ("под нагрузкой", "под угрозой"). A question's context clauses
("after we scaled up", "though the node has 20G free") are told from its symptom by their
conjunctions (`clauses`), and a misspelt English word is read as the known word it misses (`spelled`).
Numbers, host names and ids ("build-agent-3", "osd.113", "40 min") and filler words ("every",
"says", "другой") say which thing or how often, not what is wrong with it: they count for a document
that has them and are no evidence against one that has not (`is_incidental`). A percentage is read
as a usage level ("95%": usage, full), a path as a file system's ("/var"); a Russian loanword whose
transliterated stem starts a word of the documents ("графана" -> "grafa" -> grafana) is read as that
word (`readings(known=...)`); "не" before a word the glossary reads makes it "not ...".
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

from core.typos import one_typo_apart
from knowledge.sparse import STOP_WORDS_RU, tokenize

GLOSSARY = Path(__file__).resolve().parent / "data" / "ops_glossary.yaml"
PREFIX_STEM = 5  # a glossary stem this long also matches a longer stem of the same word
_WORD = re.compile(r"[^\W_]+(?:[._:/\-][^\W_]+)*|\w+")
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_INSTRUMENTAL = re.compile(r"(ой|ей|ом|ем|ём|ами|ями|ью)$")
CONTEXT_WEIGHT = 0.3  # a context clause's words count this much in the document ranking
TYPO_MIN_LETTERS = 5  # shorter words are not corrected: too many real words are one letter apart
# "yet" joins clauses, but not in "not yet valid" or "is not valid yet'"
_YET = r"(?<!not\s)\byet\b(?!\s*(?:['\"`,.;:!?)]|$))"
_SEPARATOR = re.compile(rf"(,\s*а\b|[,;!?()]|\.(?!\w)|\s[-–—]\s|\b(?:but|however|но)\b|{_YET})", re.IGNORECASE)
_CONTRAST = re.compile(r"but|yet|however|но|,\s*а", re.IGNORECASE)  # ", а": Russian "whereas"
_CONTEXT = re.compile(r"\b(?:after|since|though|although|even\s+though|even\s+if|despite|после|хотя"
                      r"|при\s+этом|несмотря\s+на|с\s+тех\s+пор)\b", re.IGNORECASE)
# "looks fine", "в норме"; not a measure against normal ("3x normal", "higher than normal")
_REASSURANCE = re.compile(r"(?<!\dx )(?<!than )(?<!above )(?<!below )"
                          r"\b(?:fine|ok|okay|normal|healthy|alive|нормально|нормальн\w*|в\s+норме|в\s+порядке"
                          r"|жив(?:ой|ая|ые|о)|plenty\s+of|куч[уа]\s+свободн\w*)\b|\b(?:only|всего|лишь)\s+~?\d+\s*%",
                          re.IGNORECASE)
_GUESS = re.compile(r"\s*(?:(?:and|so|or|или)\s+)?(?:could\s+(?:it|this|that)\s+be|can\s+(?:it|this)\s+be"
                    r"|might\s+(?:it|this)\s+be|maybe|perhaps|probably|(?:they|we|he|she)\s+(?:think|blame|suspect"
                    r"|say\s+it'?s)|(?:they|we)\s*'?re\s+blaming|may\s+be|может(?:\s+быть)?|наверное|неужели"
                    r"|думают|думаем|грешим|подозреваю|подозреваем)\b", re.IGNORECASE)
_GUESS_ASKED = re.compile(r"\s*(?:(?:and|so|or|или)\s+)?(?:is\s+(?:it|this|that)|это|или)\b", re.IGNORECASE)
_LATIN_WORD = re.compile(r"\b[a-zA-Z]+\b")
_NAMED = re.compile(r"\b(?:ns|namespace|неймспейс\w*|-n)\s+$", re.IGNORECASE)  # the word next is a name
_DIGIT = re.compile(r"\d")
_PERCENT = re.compile(r"\s*%")
PERCENT_READING = "usage full"  # "at 95%", "куча под 90%": how full something is
# units a number is measured in: with the number they are one identifier ("40 min", "200 ms")
_UNIT_WORDS = """ms s sec secs second seconds m min mins minute minutes h hr hrs hour hours d day days w week weeks
k kb mb gb tb g x rps qps мс с сек секунд секунды мин минут минуты ч час часа часов дн дня дней гб мб тб раз раза"""
_UNITS = frozenset(_UNIT_WORDS.split())
# words that say how often, when, how many, for how long or who said so, not what is wrong
_FILLER_WORDS = """every each few several some any all other another itself themselves even just still also again
really very ever always keep keeps kept says said say shows showing seems everything anything something nothing
night nights morning evening today yesterday tonight week weekend lunch
другой другом другие другую другая других каждый каждые каждую каждого пару пара снова опять вообще раз этим этом
этого этой сегодня вчера ночью утром вечером обеда обед ничего сам сама само сами себя вся всего показывает
показывают показал пишет пишут"""
FILLER = frozenset(_FILLER_WORDS.split())
_PATH = re.compile(r"(?:^|(?<=\s))/(?=\w)(?!(?:proc|sys|dev|run)\b)")  # "/var", "/data/pg": a path, so a file
# system; "/proc/mdstat", "/sys/…", "/dev/sdb" are the kernel's views and devices, not one
PATH_READING = "filesystem"
# a hyphenated name ending the way services are named: "search-api", "checkout-svc", "billing-web"
_SERVICE_NAME = re.compile(r"^[a-zа-яё0-9]+(?:-[a-zа-яё0-9]+)*"
                           r"-(?:api|svc|service|app|web|backend|frontend|ui|gateway|gw)$")
# who relayed the complaint, not what is wrong: "the payments team says", "search team reports", "ребята из crm",
# "от команды billing" ("команда" alone may be a command: "команда kubectl apply висит" names what is wrong)
_TEAM = frozenset({"team", "teams", "folks", "guys"})
_RU_TEAM = re.compile(r"^ребят[аы]?$")
_RU_FROM_TEAM = ("от", "команды")
LOANWORD_PREFIX = 4  # a transliterated stem this long may start a word of the documents
LOANWORD_MATCHES = 2  # ...and is read as those words when it starts at most this many
_LETTERS = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r",
                     "s", "t", "u", "f", "kh", "ts", "ch", "sh", "sch", "", "y", "", "e", "yu", "ya"], strict=True))


@cache
def glossary() -> tuple[tuple[str, str], ...]:
    """(Russian stem, English words) pairs, longest stem first."""
    data = yaml.safe_load(GLOSSARY.read_text(encoding="utf-8")) or {}
    pairs = {(stem, str(english)) for english, words in data.items() for word in words
             for stem in tokenize(str(word)) if not stem.isdigit()}  # "k8s" is no reading of "8"
    return tuple(sorted(pairs, key=lambda pair: (-len(pair[0]), pair)))


def _stem(word: str) -> str:
    """The word's Snowball stem (also for a stop word: "под" the pod is one)."""
    terms = tokenize(word)
    return terms[-1] if terms else word.lower().replace("ё", "е")


def english_for(word: str) -> str:
    """The glossary's English words for one Russian word, or ""."""
    stem = _stem(word)
    terms = {stem, *tokenize(word)}  # "p99" is its own term beside its number
    found = [english for key, english in glossary()
             if key in terms or (len(key) >= PREFIX_STEM and stem.startswith(key))]
    return " ".join(dict.fromkeys(found))


def transliterate(word: str) -> str:
    """Cyrillic letters to Latin ones ("кубелет" -> "kubelet"): loanwords read as their English originals."""
    return "".join(_LETTERS.get(ch, ch) for ch in word.lower())


def _next(words: list[str], i: int) -> str:
    return words[i + 1].lower() if i + 1 < len(words) else ""


def _names_a_team(words: list[str], i: int) -> bool:
    """Whether the word is a team or the name of one: "payments team", "ребята из crm", "от команды billing"."""
    lowered = words[i].lower()
    before = tuple(w.lower() for w in words[max(0, i - 2):i])
    if lowered in _TEAM or _next(words, i) in _TEAM or _RU_TEAM.match(lowered):
        return True
    from_team = (*before[-1:], lowered) == _RU_FROM_TEAM or before == _RU_FROM_TEAM  # "от команды", its name
    from_guys = len(before) == 2 and before[1] == "из" and bool(_RU_TEAM.match(before[0]))  # "ребята из X"
    return from_team or from_guys


def _is_pod(words: list[str], i: int) -> bool:
    """"под" the pod, not the preposition: "под нагрузкой" (instrumental), "под 90%" (about)."""
    following = _next(words, i)
    return not ((_CYRILLIC.search(following) and _INSTRUMENTAL.search(following)) or _DIGIT.match(following))


_HEAP_WORDS = frozenset({"куча", "кучу", "кучи"})
_GENITIVE_PLURAL = re.compile(r"(?:ов|ев|ей|ий|ок|ек|ик|ых|их)$")
_HEAP_CONTEXT = frozenset({"jvm", "java", "heap", "gc", "xmx"})


def _is_quantity(words: list[str], i: int) -> bool:
    """"куча" as "a lot of", not the JVM heap: before a plural noun ("куча ошибок", "куча подов") or a
    Latin word that is no heap's ("куча csr"); "куча под 90%", "куча jvm", "размер кучи" are the heap."""
    following = _next(words, i)
    if _CYRILLIC.search(following):
        return _GENITIVE_PLURAL.search(following) is not None
    return bool(following) and following not in _HEAP_CONTEXT and not _DIGIT.search(following)


@cache
def filler_terms() -> frozenset[str]:
    return frozenset(tokenize(" ".join(FILLER)))


def is_incidental(terms: frozenset[str]) -> bool:
    """Whether a word's terms are a number, an id, a host or service name ("40", "osd.113",
    "gitlab-runner-2", "search-api", "card-auth-svc") or FILLER ("every", "says", "другой"):
    evidence for a document that has them ("any" of PrometheusErrorSendingAlertsToAnyAlertmanager),
    none against one that has not."""
    return (any(_DIGIT.search(term) or _SERVICE_NAME.search(term) for term in terms)
            or bool(terms & filler_terms()))


def _loanword(stem: str, known: set[str]) -> str:
    """The words of `known` a transliterated Russian stem starts ("grafa" -> "grafana"), if few."""
    if len(stem) < LOANWORD_PREFIX or stem in known:
        return ""
    found = sorted(word for word in known if word.startswith(stem))
    return " ".join(found) if len(found) <= LOANWORD_MATCHES else ""


def _words(text: str) -> list[str]:
    """The words of `text`, a number (or "few", "пару") and the unit after it as one ("40 min"), a percentage
    read as a usage level ("95%" -> "95% usage full"), a path as a file system's ("/var")."""
    words: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group()
        if _PATH.match(text, match.start() - 1) and match.start():
            word = f"{word} {PATH_READING}"
        previous = words[-1].lower() if words else ""
        if (_DIGIT.search(previous) or previous in FILLER) and word.lower() in _UNITS and " " not in previous:
            words[-1] = f"{words[-1]} {word}"
            continue
        if _DIGIT.search(word) and _PERCENT.match(text, match.end()):
            word = f"{word}% {PERCENT_READING}"
        words.append(word)
    return words


def readings(text: str, known: set[str] | None = None) -> list[tuple[str, str, str]]:
    """Each content word of `text` with its English reading and transliteration: a Latin word is its
    own reading; a Cyrillic one is read by the glossary ("" when it is not there) and transliterated
    from its stem, plus the `known` words (the documents' Latin words) that transliteration starts.
    Russian stop words are skipped."""
    words = _words(text)
    found = []
    for i, word in enumerate(words):
        lowered = word.lower()
        if _names_a_team(words, i):
            continue
        if not _CYRILLIC.search(word):  # an abbreviation is read as its words too ("pvc": persistent volume claim)
            found.append((word, " ".join(dict.fromkeys([word, *english_for(word).split()])), ""))
        elif lowered == "под":
            if _is_pod(words, i):
                found.append((word, "pod", ""))
        elif lowered in _HEAP_WORDS and _is_quantity(words, i):
            continue
        elif lowered not in STOP_WORDS_RU:
            latin = transliterate(_stem(word))
            english = english_for(word)
            if english and i and words[i - 1].lower() == "не":  # "не отвечает": not responding
                english = f"not {english}"
            found.append((word, english, f"{latin} {_loanword(latin, known or set())}".strip()))
    return found


def english_reading(text: str) -> str:
    """The question in the English words the glossary knows, for the embedding model ("" when none)."""
    return " ".join(english for _, english, _ in readings(text) if english)


def sparse_text(text: str) -> str:
    """The question plus the English readings and transliterations of its Russian words: what the
    sparse query is built from (a transliteration that is no English word matches nothing)."""
    added = " ".join(f"{english} {latin}".strip() for word, english, latin in readings(text) if english != word)
    return f"{text}\n{added}" if added.strip() else text


def clauses(text: str) -> list[tuple[str, float]]:
    """The question's clauses, each with the weight its words get when ranking documents: 1 for the
    symptom, CONTEXT_WEIGHT for context, read from the conjunctions: a clause opened by "after",
    "since", "though" and the like ("after we scaled the deployment up", "though the node has 20G
    free"), one that says something is fine ("but memory looks fine"), the asker's guess at the
    cause ("is it the network?", "может нода перегружена?"), and the part before "but" when what
    follows is the complaint ("alerts are firing in the UI but nothing shows up in slack")."""
    pieces = _SEPARATOR.split(text)  # segment, separator, segment, ...
    segments, separators = pieces[::2], [*pieces[1::2], ""]
    found: list[tuple[str, float]] = []
    for i, segment in enumerate(segments):
        after = segments[i + 1] if i + 1 < len(segments) else ""
        if _is_guess(segment, separators[i]) or (_CONTRAST.fullmatch(separators[i].strip())
                                                 and not _REASSURANCE.search(after)):
            found.append((segment, CONTEXT_WEIGHT))
            continue
        start = _CONTEXT.search(segment)
        cut = start.start() if start else len(segment)
        head, tail = segment[:cut], segment[cut:]
        found += [(head, CONTEXT_WEIGHT if _REASSURANCE.search(head) else 1.0), (tail, CONTEXT_WEIGHT)]
    return [(clause, weight) for clause, weight in found if clause.strip()]


def _is_guess(segment: str, separator: str) -> bool:
    """Whether a clause is the asker's guess at the cause ("is it the network?", "может нода
    перегружена?", "they think it's DNS"): a hypothesis, weighed as context, not the symptom."""
    if _GUESS.match(segment):
        return True
    return separator.strip() == "?" and bool(_GUESS_ASKED.match(segment))


def weighted_groups(text: str, known: set[str] | None = None) -> list[tuple[frozenset[str], float]]:
    """Per content word, the index terms that match it (its own, its English reading's and its
    transliteration's, so coverage counts a Russian word as found in either language), with the
    weight of its clause (`clauses`). `known`: the documents' Latin words, for loanwords (`readings`)."""
    return [(terms, weight) for clause, weight in clauses(text) for terms in _clause_groups(clause, known)]


def _clause_groups(clause: str, known: set[str] | None) -> list[frozenset[str]]:
    groups = []
    for word, english, latin in readings(clause, known):
        terms = frozenset(tokenize(f"{word} {english} {latin}"))
        if _SERVICE_NAME.search(word.lower()):  # "search-api" names which service, not OpenSearch
            terms = frozenset(term for term in terms if _SERVICE_NAME.search(term)) or terms
        if terms:
            groups.append(terms)
    return groups


def reassured_groups(text: str, known: set[str] | None = None) -> list[frozenset[str]]:
    """The words of the clauses that say something is fine ("but memory looks fine", "df на ноде
    показывает всего 40%", "metrics-server is alive"): what the question rules out."""
    return [terms for clause, _ in clauses(text) if _REASSURANCE.search(clause)
            for terms in _clause_groups(clause, known)]


def word_groups(text: str) -> list[frozenset[str]]:
    """Per content word, the index terms that match it (`weighted_groups` without the weights)."""
    return [terms for terms, _ in weighted_groups(text)]


def spelled(text: str, vocabulary: set[str]) -> str:
    """`text` with each Latin word the `vocabulary` (lower-case words) does not know, not even by its
    stem, replaced by the one known word it is a near miss of ("wirte" -> "write"); a word shorter
    than TYPO_MIN_LETTERS, or near several known words, stays as written."""
    stems = set(tokenize(" ".join(vocabulary)))

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        lowered = word.lower()
        if len(lowered) < TYPO_MIN_LETTERS or lowered in vocabulary or not set(tokenize(lowered)) - stems:
            return word
        if _NAMED.search(match.string, 0, match.start()):  # "ns billing" names a namespace: no typo of "filling"
            return word
        near = sorted(known for known in vocabulary if one_typo_apart(lowered, known))
        return near[0] if len(near) == 1 else word

    return _LATIN_WORD.sub(fix, text)
