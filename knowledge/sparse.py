"""The sparse side of hybrid retrieval: tokenisation and BM25 term weights as Qdrant sparse vectors.

Ops text mixes English, Russian and identifiers. An identifier is kept whole (`osd.12`,
`mem_fragmentation_ratio`, `kubepodcrashlooping`) so an exact mention scores high, and is also
split into its parts (`osd`, `12`; `mem`, `fragmentation`, `ratio`; `kube`, `pod`, `crash`,
`looping`) so prose about the same thing matches too. Words are lower-cased, stop words dropped
and stemmed with Snowball (English for Latin script, Russian for Cyrillic).

Documents carry the BM25 term-frequency part; the IDF part is computed by Qdrant itself
(`Modifier.IDF` on the sparse vector), so it stays right as the collection changes.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from functools import lru_cache

import snowballstemmer
from pydantic import BaseModel

# BM25 parameters; AVG_LEN approximates the words in a chunk of <= 256 word-pieces.
K1 = 1.2
B = 0.75
AVG_LEN = 120.0

# A raw token: letters/digits joined by the separators identifiers use.
_RAW = re.compile(r"[^\W_]+(?:[._:/\-]+[^\W_]+)*|\w+")
_PARTS = re.compile(r"[A-ZА-ЯЁ]+(?![a-zа-яё])|[A-ZА-ЯЁ]?[a-zа-яё]+|\d+|[^\W\d_]+", re.UNICODE)
_SEPARATORS = re.compile(r"[._:/\-]+")
_CYRILLIC = re.compile(r"[а-яё]")

STOP_WORDS_EN = frozenset([
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "could", "did", "do", "does", "for",
    "from", "had", "has", "have", "how", "if", "in", "into", "is", "it", "its", "may", "might", "no", "not", "of",
    "on", "or", "our", "should", "so", "such", "than", "that", "the", "their", "then", "there", "these", "they",
    "this", "to", "was", "we", "were", "what", "when", "where", "which", "while", "who", "why", "will", "with",
    "would", "you", "your"
])
STOP_WORDS_RU = frozenset([
    "а", "без", "бы", "был", "была", "были", "было", "быть", "в", "вам", "вас", "весь", "во", "вот", "все", "всё",
    "всех", "вы", "где", "да", "для", "до", "его", "ее", "её", "если", "есть", "после", "перед", "через", "еще",
    "ещё", "же", "за", "и", "из", "или", "им", "их", "к", "как", "ко", "когда", "кто", "ли", "либо", "между", "мне",
    "мы", "на", "над", "не", "нет", "ни", "но", "ну", "о", "об", "он", "она", "они", "оно", "от", "по", "под",
    "при", "с", "со", "так", "также", "такой", "там", "то", "тоже", "только", "у", "уже", "чем", "что", "чтобы",
    "эта", "эти", "это", "этот", "я"
])

_STEMMERS = {"en": snowballstemmer.stemmer("english"), "ru": snowballstemmer.stemmer("russian")}


def bm25_idf(documents: int, containing: int) -> float:
    """BM25's IDF of a term `containing` of `documents` documents have (Lucene's form: never negative)."""
    return math.log(1 + (documents - containing + 0.5) / (containing + 0.5))


class SparseVector(BaseModel):
    indices: list[int]
    values: list[float]


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    if _CYRILLIC.search(word):
        return str(_STEMMERS["ru"].stemWord(word))
    return str(_STEMMERS["en"].stemWord(word))


def _word(part: str) -> str | None:
    """A lower-cased, stemmed word, or None for stop words and single letters."""
    word = part.lower().replace("ё", "е")
    if word in STOP_WORDS_EN or word in STOP_WORDS_RU:
        return None
    if word.isdigit():
        return word
    if len(word) < 2:
        return None
    return _stem(word)


def is_russian(text: str) -> bool:
    """Mostly Cyrillic (a Russian question gets a Russian answer)."""
    return len(_CYRILLIC.findall(text.lower())) > len(text) / 4


def tokenize(text: str) -> list[str]:
    """Terms of `text` for BM25: whole identifiers plus their stemmed parts."""
    terms: list[str] = []
    for match in _RAW.finditer(text):
        raw = match.group()
        pieces = [p for p in _SEPARATORS.split(raw) if p]
        parts = [part for piece in pieces for part in _PARTS.findall(piece)]
        if len(parts) > 1:
            # The identifier as written, so `osd.12` or `KubePodCrashLooping` match exactly.
            terms.append(raw.lower().replace("ё", "е"))
        for part in parts:
            word = _word(part)
            if word:
                terms.append(word)
    return terms


def term_id(term: str) -> int:
    """A stable 32-bit index for a term (Qdrant sparse indices are u32); collisions are negligible."""
    return zlib.crc32(term.encode())


def document_vector(text: str) -> SparseVector:
    """BM25 term-frequency weights of a document; Qdrant multiplies in the IDF."""
    terms = tokenize(text)
    if not terms:
        return SparseVector(indices=[], values=[])
    counts = Counter(term_id(t) for t in terms)
    norm = K1 * (1 - B + B * len(terms) / AVG_LEN)
    indices = sorted(counts)
    return SparseVector(indices=indices, values=[counts[i] * (K1 + 1) / (counts[i] + norm) for i in indices])


def query_vector(text: str) -> SparseVector:
    """Each distinct query term once: the score becomes the sum of BM25 weights of matched terms."""
    indices = sorted({term_id(t) for t in tokenize(text)})
    return SparseVector(indices=indices, values=[1.0] * len(indices))
