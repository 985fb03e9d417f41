"""Which document a question is about: document-level evidence beside the best section's rank.

Hybrid search ranks sections, so a runbook that merely has a section on the question's subject
(the workload runbook's "HPAAtMax" section) can outrank the runbook whose subject it is
(kubernetes-hpa). Each document also says what it is about: its title, file name, Russian title,
synonyms, the alerts and codes it lists. Those words form its profile; the question's words are
scored against the profiles of the documents retrieved with BM25 (IDF over those documents, so a
word every candidate shares counts little; length-normalised, so one passing mention in a long
list counts less than a subject named again and again), a word the title or file name has
counting once more, and each document's place is its retrieval score plus that profile score, both
relative to the best of the pool. Words of a context clause ("after we scaled up", "though the node
has 20G free") count less: the symptom decides. A runbook's "What it means" text is part of its
profile, a field of its own at MEANING_WEIGHT: it says in plain words what the runbook is about ("a
systemd unit ... restarts again and again", "answers writes with an OOM error", "95%: the cluster
stops accepting writes"). A thing the question says is fine ("but memory looks fine", "df на ноде
показывает всего 40%") rules out the documents whose title names it (`ruled_out`). A number, id,
host name or filler word of the question
(knowledge.query_terms.is_incidental) counts where a document has it and is left out of the share
of words covered where it has not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from knowledge.query_terms import is_incidental
from knowledge.retrieval import Retriever, SearchResult, split_identifier
from knowledge.sparse import SparseVector, bm25_idf, tokenize
from knowledge.store import SearchFilter

PROFILE_WEIGHT = 1.0  # the profile's share against the retrieval score (both scaled to the pool's best)
SUBJECT_WEIGHT = 1.0  # the question's first word that names a candidate's subject counts this much more
TITLE_BOOST = 0.3  # a question word in the title or file name counts this much more (of its IDF)
K1 = 1.2
B = 0.75
MEANING_WEIGHT = 0.25  # a word of the "What it means" text counts this much of one in the front matter
SYMPTOM_WEIGHT = 2.0  # a matched symptom's share against the retrieval score (knowledge.symptoms)
SYMPTOM_SCALE = 4.0  # a symptom worth this much (two words only one candidate's symptoms have) counts fully
RULED_OUT_WEIGHT = 1.0  # taken off a document whose subject the question says is fine
RULED_OUT_SHARE = 0.25  # ... unless that word is in the titles of more than this share of the candidates
MEANING_CHUNKS = 8  # chunks fetched per pooled document when looking for its "What it means" text
_WORD = re.compile(r"[a-zA-Z]+")
_MEANING = re.compile(r"what\s+(?:it|this|the\s+alert)\s+means|\bmeaning\b|что\s+(?:это\s+)?означает", re.IGNORECASE)


def meanings(retriever: Retriever, results: list[SearchResult],
             vectors: tuple[list[float], SparseVector]) -> list[str]:
    """Per document of `results`, the text of its "What it means" ("Meaning") section, "" where none
    was found: one search over those documents' chunks."""
    if not results:
        return []
    flt = SearchFilter(roots=sorted({r.root for r in results}), sources=sorted({r.source for r in results}))
    texts: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for hit in retriever.store.search(*vectors, len(results) * MEANING_CHUNKS, flt):
        p = hit.payload
        if _MEANING.search(str(p.get("section", "")).rsplit(" > ", 1)[-1]):
            texts.setdefault((str(p.get("root", "")), str(p.get("source", ""))), []).append(
                (int(p.get("index", 0)), str(p.get("text", ""))))
    return [" ".join(text for _, text in sorted(texts.get((r.root, r.source), []))) for r in results]


def title_terms(result: SearchResult) -> list[str]:
    """The terms of the document's title and file name: what it says first that it is about."""
    return tokenize(f"{result.title}\n{split_identifier(Path(result.source).stem)}")


def profile(result: SearchResult) -> list[str]:
    """The terms a document says it is about (title, file name, front matter's names and synonyms)."""
    return [*title_terms(result), *tokenize(result.terms)]


def vocabulary(results: list[SearchResult]) -> set[str]:
    """The Latin words (lower case) of the documents' profiles and sections: what a typo is checked against."""
    text = " ".join(f"{r.title} {split_identifier(Path(r.source).stem)} {r.terms} {r.section} {r.text}"
                    for r in results)
    return {word.lower() for word in _WORD.findall(split_identifier(text))}


def _about(about: list[str] | None, n: int) -> list[list[str]]:
    return [tokenize(text) for text in about] if about else [[] for _ in range(n)]


def _bm25(weight: dict[frozenset[str], float], fields: list[list[str]],
          boost: Callable[[frozenset[str], float], float]) -> list[float]:
    """BM25 of the weighted word groups over one field of each document (IDF over those documents);
    `boost(group, weight)`: how much more a group counts (the subject word)."""
    n = len(fields)
    average = sum(len(f) for f in fields) / n or 1.0
    scores = [0.0] * n
    for group, w in weight.items():
        counts = [sum(1 for term in f if term in group) for f in fields]
        df = sum(1 for c in counts if c)
        if not df:
            continue
        idf = w * bm25_idf(n, df) * boost(group, w)
        for i, tf in enumerate(counts):
            if tf:
                scores[i] += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * len(fields[i]) / average))
    return scores


def profile_scores(groups: list[frozenset[str]], results: list[SearchResult],
                   weights: list[float] | None = None, about: list[str] | None = None) -> list[float]:
    """BM25 of the question's words (each a group of terms that match it, with the weight of its
    clause: knowledge.query_terms.clauses) over the documents' profiles, plus MEANING_WEIGHT times
    their BM25 over `about`: per document, its "What it means" text (`meanings`), a field of its own
    (its IDF too: a word every runbook's text has, "time", "server", tells little)."""
    weight: dict[frozenset[str], float] = {}
    for group, w in zip(groups, weights or [1.0] * len(groups), strict=True):
        weight[group] = max(w, weight.get(group, 0.0))
    profiles = [profile(r) for r in results]
    titles = [set(title_terms(r)) for r in results]
    if not groups or not profiles:
        return [0.0] * len(results)
    # the first of the symptom's words a candidate's title or file name has: the thing that misbehaves
    # (a word only some alert name of a list has, "grafana" of GrafanaRequestsFailing, names no subject)
    subject = next((g for g, w in weight.items() if w == 1.0 and any(g & t for t in titles)
                    and any(g & set(p) for p in profiles)), None)
    scores = _bm25(weight, profiles, lambda g, _: 1 + SUBJECT_WEIGHT * (g is subject))
    for group, w in weight.items():  # a word in the title or file name counts once more
        df = sum(1 for p in profiles if group & set(p))
        idf = w * bm25_idf(len(profiles), df) * (1 + SUBJECT_WEIGHT * (group is subject))
        for i, title in enumerate(titles):
            scores[i] += idf * TITLE_BOOST * bool(group & title)
    if about:
        meaning = _bm25(weight, _about(about, len(results)), lambda g, w: 1.0)
        scores = [s + MEANING_WEIGHT * m for s, m in zip(scores, meaning, strict=True)]
    return scores


def coverage(groups: list[frozenset[str]], present: set[str]) -> float:
    """Share of the question's words (each a group of terms that match it) among the `present` terms;
    a number, id, host name or filler word the terms lack is left out (it says which thing or how
    often, not what is wrong); a question of nothing else ("15% of 240") covers nothing."""
    if all(is_incidental(group) for group in groups):
        return 0.0
    covered = sum(1 for group in groups if group & present)
    counted = covered + sum(1 for group in groups if not group & present and not is_incidental(group))
    return covered / counted


def section_coverage(groups: list[frozenset[str]], result: SearchResult, about: str = "") -> float:
    """Share of the question's words that the section, or its document's profile (and its "What it
    means" text, `about`), contains."""
    return coverage(groups, {*tokenize(f"{result.section}\n{result.text}\n{about}"), *profile(result)})


def profile_coverage(groups: list[frozenset[str]], result: SearchResult, about: str = "") -> float:
    """Share of the question's words that the document's profile (and its "What it means" text) contains."""
    return coverage(groups, {*profile(result), *tokenize(about)})


def ruled_out(reassured: list[frozenset[str]], groups: list[frozenset[str]], weights: list[float] | None,
              results: list[SearchResult]) -> list[float]:
    """Per document, 1 when its title or file name names a thing the question says is fine ("but
    memory looks fine": the Redis memory runbook; "df на ноде показывает всего 40%": the node file
    system's) and the symptom itself does not name it; a word most candidates' titles share ("redis"
    of five Redis runbooks) rules out none of them."""
    symptom = {term for g, w in zip(groups, weights or [1.0] * len(groups), strict=True) if w == 1.0 for term in g}
    titles = [set(title_terms(r)) for r in results]
    out = [0.0] * len(results)
    for group in reassured:
        if group & symptom or is_incidental(group):
            continue
        having = [i for i, title in enumerate(titles) if group & title]
        if having and len(having) <= RULED_OUT_SHARE * len(results):
            for i in having:
                out[i] = 1.0
    return out


def rank_documents(groups: list[frozenset[str]], results: list[SearchResult], *, section_weight: float = 0.0,
                   weights: list[float] | None = None, about: list[str] | None = None,
                   symptoms: list[float] | None = None, reassured: list[frozenset[str]] | None = None
                   ) -> list[SearchResult]:
    """`results` (one per document) in the order of retrieval score plus profile score (both scaled
    to the pool's best), plus `section_weight` times the share of the question's words the section
    has (for Russian, where the dense half of the retrieval score reads only the words the glossary knows).
    `weights`: per group, the weight of its clause (1 for the symptom); `about`: per result, its
    document's "What it means" text; `symptoms`: per result, the worth of its document's best-matching
    symptom (knowledge.symptoms), scaled to the pool's best or SYMPTOM_SCALE, whichever is more."""
    subject = profile_scores(groups, results, weights, about)
    seen = symptoms or [0.0] * len(results)
    best_seen = max(max(seen, default=0.0), SYMPTOM_SCALE)
    best_subject = max(subject, default=0.0) or 1.0
    best_score = max((r.score for r in results), default=0.0) or 1.0
    texts = about or [""] * len(results)
    excluded = ruled_out(reassured or [], groups, weights, results)
    combined = [r.score / best_score + PROFILE_WEIGHT * s / best_subject
                + (section_weight * section_coverage(groups, r, text) if section_weight else 0.0)
                + SYMPTOM_WEIGHT * sees / best_seen - RULED_OUT_WEIGHT * out
                for r, s, text, sees, out in zip(results, subject, texts, seen, excluded, strict=True)]
    order = sorted(range(len(results)), key=lambda i: -combined[i])
    return [results[i] for i in order]
