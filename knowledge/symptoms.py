"""Which document's symptoms a question describes: phrase matches of the front matter's `symptoms`.

A document's profile (knowledge.doc_rank) is a bag of words, so "certificate is not valid yet"
scores the certificates runbook (certificate, valid) over the clock runbook whose symptom it is. A
symptom is a short phrase of what one sees or pastes ("certificate is not yet valid", "ata hard
resetting link", "df shows free space but writes fail"). It matches a question when most of its
content words are among the question's (either language: both are read into index terms by
knowledge.query_terms, so a Russian symptom meets an English question and the other way round),
all of them for a phrase of two or three words; a phrase that says "not" ("certificate is not yet
valid", "не отвечает") matches only a question that says it too. What a match is worth is the IDF
of its words over the pool's documents' symptoms (a word every candidate's symptoms share, "pod",
tells little), times the weight of the question's clause the word is in (context counts less),
times the square of the share of the phrase found. A document's score is its best symptom's: one
exact error line beats many loose words. What a symptom's words are: an identifier ("target_limit",
"PrometheusRule") only as a whole, an address only by its port ("10.0.0.5:6379": which service),
no filler word ("shows", "every": where it is seen, not what), and a long Russian stem also by its
first RU_PREFIX letters (a verb's two aspects: "подхватывается" and "подхватился"). A symptom left
with one word tells too little and matches nothing; the parts of a metric name the question pastes
(container_cpu_cfs_throttled_periods_total) are not its words either.
"""

from __future__ import annotations

import re
from functools import lru_cache

from knowledge.query_terms import filler_terms, readings
from knowledge.retrieval import SearchResult
from knowledge.sparse import bm25_idf, tokenize

MIN_WORDS = 2  # a symptom with fewer content words than this is matched by none
PARTIAL_FROM = 4  # a symptom of this many words or more matches with some of them missing
PARTIAL_SHARE = 0.6  # ... when at least this share of its words (by IDF) is in the question
SHARE_POWER = 2.0  # a match's worth is its words' IDF times the share found to this power
RU_PREFIX = 7  # Russian stems that start with this many letters alike are one word's forms
_CYRILLIC = re.compile(r"[а-яё]")
_SNAKE = r"[a-z0-9]_[a-z0-9]"
_SNAKE_CASE = re.compile(_SNAKE)
_WORDS = re.compile(r"[\w.:/\-]+")
_ADDRESS_PORT = re.compile(r"^[\w.\-]+:(\d{2,5}):?$")
_IDENTIFIER = re.compile(rf"{_SNAKE}|[a-z][A-Z]")  # snake_case or CamelCase
_EXAMPLE_ID = re.compile(r"\d[._:/]|[._:/]\d")  # a number joined to another part: an example's id or address
# a negation the stop words drop: a phrase with one is not matched by a question without one
_NEGATION = re.compile(r"\b(?:not|no|never|nothing|cannot|(?:can|won|doesn|isn|aren|don|didn|wasn|hasn|haven)'?t"
                       r"|не|нет|никак\w*|никогда|ничего)\b|n't\b", re.IGNORECASE)


@lru_cache(maxsize=4096)
def phrase_groups(symptom: str) -> tuple[frozenset[str], ...]:
    """The index terms of each content word of a symptom (its readings too, as a question's are read);
    an example's ids, addresses and levels ("osd.12", "2/3", "10.0.0.5:6379", "94%") are left out:
    they say which one and how much, and a question names its own (codes stay: "x509", "137", "ext4");
    a negation is matched as one (`negated`), not as a word."""
    groups = [_with_prefixes(frozenset(_whole(word) + tokenize(f"{english.replace(word, '')} {latin}")))
              for word, english, latin in readings(symptom) if not _NEGATION.fullmatch(word) and "%" not in word]
    # a filler word ("shows", "every") says where it is seen, not what is seen: a question need not say it
    return tuple(g for g in groups if g and not any(_EXAMPLE_ID.search(term) for term in g)
                 and not g & filler_terms())


def _whole(word: str) -> list[str]:
    """A word's index terms; an identifier's ("target_limit", "PrometheusRule") only as a whole: the
    software prints it so, and its parts ("limit", "rule") are other things; an address's only its
    port ("10.0.0.5:6379": 6379, which service; the host is an example's)."""
    port = _ADDRESS_PORT.match(word)
    if port:
        return [port.group(1)]
    terms = tokenize(word)
    return terms[:1] if _IDENTIFIER.search(word) else terms


def _with_prefixes(terms: frozenset[str]) -> frozenset[str]:
    """The terms plus the RU_PREFIX-letter start of each long Russian stem: the two aspects of a
    verb stem apart ("подхватывается" -> подхватыва, "подхватился" -> подхват), one start."""
    return terms | {f"{term[:RU_PREFIX]}~" for term in terms if len(term) >= RU_PREFIX and _CYRILLIC.match(term)}


def negated(text: str) -> bool:
    return _NEGATION.search(text) is not None


def _question_weights(question: str, weighted: list[tuple[frozenset[str], float]]) -> dict[str, float]:
    """Each term of the question with the weight of its clause; a word the clauses leave out (the
    "yet" of "not valid yet" separates clauses) counts as the symptom's."""
    found = {term: 1.0 for group in phrase_groups(question) for term in group}
    parts = _identifier_parts(question)  # the question's identifiers match as wholes too
    clause: dict[str, float] = {}
    for group, weight in weighted:
        for term in _with_prefixes(group) - parts:
            clause[term] = max(weight, clause.get(term, 0.0))
    return {**found, **clause}


def _identifier_parts(text: str) -> set[str]:
    """The terms of the parts of the text's snake_case names ("cpu", "throttl" of a metric name,
    container_cpu_cfs_throttled_periods_total) that no other word of it has. (A CamelCase state's
    parts stay: "ImagePullBackOff" is also how one says the image pull backs off.)"""
    words = _WORDS.findall(text)
    parts = {term for word in words if _SNAKE_CASE.search(word) for term in tokenize(word)[1:]}
    return parts - {term for word in words if not _SNAKE_CASE.search(word) for term in tokenize(word)}


def _idf(results: list[SearchResult]) -> dict[frozenset[str], float]:
    """Per symptom word, its IDF over the documents whose symptoms have it."""
    per_document = [{g for s in r.symptoms for g in phrase_groups(s)} for r in results]
    n = len(results)
    counts: dict[frozenset[str], int] = {}
    for words in per_document:
        for group in words:
            counts[group] = counts.get(group, 0) + 1
    return {group: bm25_idf(n, df) for group, df in counts.items()}


def phrase_score(phrase: tuple[frozenset[str], ...], question: dict[str, float],
                 idf: dict[frozenset[str], float]) -> float:
    """What one symptom's match is worth: the matched words' IDF times their clause weight, times the
    share of the phrase found; 0 unless all its words (PARTIAL_SHARE of a long one) are found."""
    total = sum(idf[g] for g in phrase) or 1.0
    matched = 0.0
    found = 0.0
    for group in phrase:
        weight = max((question[t] for t in group if t in question), default=0.0)
        if weight:
            matched += idf[group] * weight
            found += idf[group]
    share = found / total
    if share < 1.0 and (len(phrase) < PARTIAL_FROM or share < PARTIAL_SHARE):
        return 0.0

    return matched * share ** SHARE_POWER


def symptom_scores(question: str, weighted: list[tuple[frozenset[str], float]],
                   results: list[SearchResult]) -> list[float]:
    """Per document of `results`, the worth of its best-matching symptom for the question (its words
    read as `weighted`: knowledge.query_terms.weighted_groups)."""
    words = _question_weights(question, weighted)
    idf = _idf(results)
    says_not = negated(question)
    # a phrase left with one word ("connected_slaves:0 on the master": master) tells too little
    return [max((phrase_score(phrase_groups(s), words, idf) for s in r.symptoms
                 if len(phrase_groups(s)) >= MIN_WORDS and (says_not or not negated(s))), default=0.0)
            for r in results]

