"""/ask, `opsbot ask` and question mentions: answers from the knowledge base, always with citations.

Retrieval is hybrid (knowledge.retrieval); a Russian question is read into English words first
(knowledge.query_terms), and the documents found are ranked by what they are about as well
(knowledge.doc_rank). Whether anything relevant was found is decided by the best section's
similarity to the question: the cosine of their embeddings, or the share of the question's words
the document's profile, "What it means" included (for Russian also the section), contains, whichever
is higher; numbers, ids, host names and filler words count there only where found. Below
`knowledge.ask_min_similarity` the answer says so and lists the nearest documents instead of
inventing one. Without an LLM the answer is the best matching sections, quoted briefly.
With an LLM (handlers.llm.ask_answer) one call writes the answer from those sections, in the language of
the question. A question asked in an incident card's thread also draws on that card
(handlers.incident_question). A "how do I / what should I check / что делать" question gets what to
do first: the best document's first-checks and fix sections quoted as written (handlers.ask_actions),
then the rest as context, with or without the LLM. Identical questions (same words, filters and k) within
`knowledge.answer_cache_ttl_s` reuse the answer from Redis; questions about an incident never do.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from functools import cache
from typing import TYPE_CHECKING, Protocol, cast

import redis
from pydantic import BaseModel, Field

from core.cards import Card, CardKind, CardStatus
from core.events import Command
from core.models import Citation, Unavailable
from handlers.ask_actions import action_sections, asks_for_action, context_heading, lead, topic_words
from handlers.enrichers.knowledge import KnowledgeLinkNeeds
from integrations.llm.config import LLMSettings
from knowledge.doc_rank import SYMPTOM_SCALE, meanings, profile_coverage, rank_documents, section_coverage, vocabulary
from knowledge.links import with_link
from knowledge.query_terms import (
    english_reading,
    is_incidental,
    reassured_groups,
    sparse_text,
    spelled,
    weighted_groups,
    word_groups,
)
from knowledge.retrieval import SearchResult
from knowledge.sparse import is_russian, query_vector, tokenize
from knowledge.symptoms import symptom_scores

if TYPE_CHECKING:
    from integrations.llm.client import LLMClient

log = logging.getLogger(__name__)
CACHE_PREFIX = "opsbot:ask:"
EXCERPT_CHARS = 300
SECTION_SHARE = 0.8  # once an answer is found, sections this close to the threshold join it
CHECKED = 3  # sections whose relevance decides whether anything was found
POOL = 3  # documents ranked by subject: this many times k
RUSSIAN_SECTION_WEIGHT = 1.0  # a Russian question's words found in the section count beside the ranks

USAGE = "`/ask QUESTION` answers from the runbooks, post-mortems and docs in the knowledge base, with citations."


class AskNeeds(KnowledgeLinkNeeds, Protocol):
    """What /ask reads of the settings: the knowledge base (and where its local documents are served),
    the answer cache's Redis, the LLM's prompt budget."""

    @property
    def redis_url(self) -> str | None: ...

    @property
    def llm(self) -> LLMSettings: ...



class AskCitation(BaseModel):
    source: str
    title: str
    section: str
    score: float
    url: str | None = None


class AskResult(BaseModel):
    """What `opsbot ask --json` prints and the /ask card shows."""

    question: str
    answer: str
    citations: list[AskCitation] = Field(default_factory=list)
    found: bool
    used_llm: bool = False
    relevance: float = 0.0
    cached: bool = False
    llm_note: str = Field("", description="the model that wrote the answer, or why none did")


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of a section, cut at a sentence or word boundary, without its heading line."""
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")).strip()
    body = re.sub(r"\s+", " ", body)
    if len(body) <= limit:
        return body
    cut = body[:limit]
    end = max(cut.rfind(". "), cut.rfind("; "))
    return (cut[: end + 1] if end > limit // 2 else cut[: cut.rfind(" ")]) + " …"


def cache_key(question: str, k: int, doc_types: list[str] | None) -> str:
    normalised = " ".join(question.lower().split())
    digest = hashlib.sha256(json.dumps([normalised, k, sorted(doc_types or [])]).encode()).hexdigest()
    return CACHE_PREFIX + digest[:32]


@cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=1.0)


class AskAnswerCache:
    """Answers in Redis with a TTL; a cache that cannot be reached is skipped, never an error."""

    def __init__(self, client: redis.Redis | None, ttl_s: int) -> None:
        self.client = client if ttl_s > 0 else None
        self.ttl_s = ttl_s

    @classmethod
    def from_settings(cls, settings: AskNeeds) -> AskAnswerCache:
        client = _redis(settings.redis_url) if settings.redis_url else None
        return cls(client, settings.knowledge.answer_cache_ttl_s)

    def get(self, key: str) -> AskResult | None:
        if self.client is None:
            return None
        try:
            raw = self.client.get(key)
        except redis.RedisError as exc:
            log.warning("answer cache unavailable: %s", exc)
            return None
        if not raw:
            return None
        return AskResult.model_validate_json(cast("bytes", raw)).model_copy(update={"cached": True})

    def put(self, key: str, result: AskResult) -> None:
        if self.client is None:
            return
        try:
            self.client.set(key, result.model_dump_json(), ex=self.ttl_s)
        except redis.RedisError as exc:
            log.warning("answer cache unavailable: %s", exc)


def relevance(question: str, results: list[SearchResult], groups: list[frozenset[str]] | None = None,
              about: list[str] | None = None) -> list[float]:
    """How well each section matches the question (0..1): the cosine of the question's and the
    section's embeddings (heading path included, as indexed: the search already computed it; for
    Russian, which MiniLM does not read, of the question's English reading), or, when higher, the
    share of the question's topic words (without "how do I", "что делать" and the like) that its
    document's profile (title, file name, alerts, codes, Russian title, synonyms) contains, so a
    runbook whose title names the subject counts even where the model does not know the word
    ("HPA"). For Russian the section's own text counts too, in either language. `groups`: the
    terms of the words to cover when already read (typos corrected, context clauses left out);
    `about`: per result, its document's "What it means" text, part of the profile. Numbers, ids and
    host names count only where they are found (knowledge.doc_rank.coverage)."""
    groups = groups if groups is not None else word_groups(topic_words(question) or question)
    covered = section_coverage if is_russian(question) else profile_coverage
    return [max(r.similarity, covered(groups, r, text))
            for r, text in zip(results, about or [""] * len(results), strict=True)]


def _citations(results: list[SearchResult]) -> list[AskCitation]:
    return [AskCitation(source=r.source, title=r.title, section=r.section, score=r.score, url=r.url) for r in results]


def compose(question: str, results: list[SearchResult], found: bool) -> str:
    """The answer without an LLM: the best sections quoted briefly, or an honest "not found"."""
    russian = is_russian(question)
    if not results:
        return "База знаний пуста или недоступна." if russian else "The knowledge base is empty or unavailable."
    if not found:
        intro = ("В базе знаний нет ответа на этот вопрос. Ближайшие документы:" if russian else
                 "I found nothing in the knowledge base that answers this. The nearest documents:")
        return intro + "\n" + "\n".join(f"• {r.title} › {r.section} ({r.source})" for r in results)
    intro = "Лучшие совпадения в базе знаний:" if russian else "From the knowledge base:"
    return intro + "\n" + "\n".join(f"• {r.title} › {r.section}: {excerpt(r.text)}" for r in results)


def compose_action(question: str, action: list[SearchResult], context: list[SearchResult]) -> str:
    """What to do first (the sections quoted as written), then the other sections briefly, as context."""
    text = lead(question, action)
    if context:
        text += f"\n\n{context_heading(question)}\n" + "\n".join(
            f"• {r.title} › {r.section}: {excerpt(r.text)}" for r in context)
    return text


KNOWN_ENOUGH = 4  # a question with this many words the pool knows is judged on those words alone,
KNOWN_SHARE = 0.5  # ... when they are this share of its words at least


def known_words(groups: list[frozenset[str]], pool: list[SearchResult]) -> list[frozenset[str]]:
    """The question's words that some pooled document has (numbers and ids stay: they count only where
    found), when there are KNOWN_ENOUGH of them: in a long message the words no document has at all
    ("makes correlating the incident impossible", "как так") say nothing about which one fits."""
    terms = {term for r in pool for term in tokenize(f"{r.title}\n{r.section}\n{r.text}\n{r.terms}\n"
                                                      + "\n".join(r.symptoms))}
    known = [g for g in groups if g & terms or is_incidental(g)]
    words, found = (sum(1 for g in gs if not is_incidental(g)) for gs in (groups, known))
    return known if found >= KNOWN_ENOUGH and found >= KNOWN_SHARE * words else groups


def find_sections(question: str, settings: AskNeeds, k: int,
                  doc_types: list[str] | None = None) -> tuple[list[SearchResult], bool, float]:
    """The sections that answer the question (or, when none does, the nearest ones), whether any
    does, and the best relevance. Of a pool of documents, the ones whose subject the question names
    come first (knowledge.doc_rank). Raises KnowledgeError when there is no index."""
    from knowledge.service import get_retriever

    retriever = get_retriever(settings)
    # MiniLM reads no Russian: a Russian question is embedded as its English reading, and its sparse
    # query carries the English words and transliterations of its Russian ones (knowledge.query_terms).
    russian = is_russian(question)
    dense_text = (english_reading(question) or question) if russian else question
    vectors = (retriever.embedder.embed([dense_text])[0], query_vector(sparse_text(question)))
    pool = retriever.search(question, k * POOL, doc_types=doc_types, vectors=vectors)
    # a misspelt word ("wirte") is read as the one word of the pool's documents it is a near miss of,
    # a Russian loanword ("графана") as the word of theirs its transliteration starts
    known = vocabulary(pool)
    topic = spelled(topic_words(question) or question, known)
    weighted = weighted_groups(topic, known)
    groups, weights = [g for g, _ in weighted], [w for _, w in weighted]
    about = dict(zip([(r.root, r.source) for r in pool], meanings(retriever, pool, vectors), strict=True))
    seen = dict(zip([(r.root, r.source) for r in pool], symptom_scores(topic, weighted, pool), strict=True))
    results = rank_documents(groups, pool, section_weight=RUSSIAN_SECTION_WEIGHT if russian else 0.0,
                             weights=weights, about=[about[r.root, r.source] for r in pool],
                             symptoms=list(seen.values()), reassured=reassured_groups(topic, known))[:k]
    symptom = [g for g, w in weighted if w == 1.0] or groups  # whether it is found: the symptom, not its context
    symptom = known_words(symptom, pool)
    scores = relevance(question, results[:CHECKED], symptom, [about[r.root, r.source] for r in results[:CHECKED]])
    # a question that describes one of a document's symptoms is about it, whatever the cosine says
    scores = [max(score, min(1.0, seen[r.root, r.source] / SYMPTOM_SCALE)) for r, score in zip(results, scores,
                                                                                              strict=False)]
    best = max(scores, default=0.0)
    found = best >= settings.knowledge.ask_min_similarity
    if found:  # answer from the sections that fit, not from everything retrieval ranked
        results = [r for r, score in zip(results, scores, strict=False)
                   if score >= SECTION_SHARE * settings.knowledge.ask_min_similarity]
    return results, found, round(best, 3)


def ask(question: str, settings: AskNeeds, *, k: int | None = None, doc_types: list[str] | None = None,
        answer_cache: AskAnswerCache | None = None, llm: LLMClient | None = None,
        incident: Card | None = None, indexed: bool = True) -> AskResult:
    """Answer a question from the knowledge base: with `llm`, one call writes the answer from the
    sections found (when retrieval found relevant ones); otherwise the sections are quoted. Asked in
    an incident's thread (`incident`), the incident's card is the first section. Raises
    KnowledgeError when there is no index (unless `indexed` is False: then only the incident counts)."""
    k = k or settings.knowledge.ask_k
    key = cache_key(question, k, doc_types)
    if incident is not None:
        answer_cache = None  # the incident changes under the question: never reuse an answer about it
    hit = answer_cache.get(key) if answer_cache is not None else None
    if hit is not None and (llm is None or hit.used_llm or not hit.found):
        return hit
    results, found, best = find_sections(question, settings, k, doc_types) if indexed else ([], False, 0.0)
    results = [with_link(r, settings.web.public_url, settings.knowledge) for r in results]
    answer = compose(question, results, found)
    action = _action_first(question, settings, results) if found else []
    if action:
        shown = {(a.root, a.source, a.section) for a in action}
        context = [r for r in results if (r.root, r.source, r.section) not in shown]
        results = [*action, *context]
        answer = compose_action(question, action, context)
    if incident is not None:
        from handlers.incident_question import incident_section, incident_summary

        answer = incident_summary(incident, is_russian(question)) + ("\n\n" + answer if found else "")
        results, found = [incident_section(incident), *(results if found else [])], True
    result = AskResult(question=question, answer=answer, citations=_citations(results), found=found, relevance=best)
    if llm is not None and found:
        _write_with_llm(result, results, llm, settings)
        if action and result.used_llm:  # what to do stays first, quoted; the model's words are the context
            result.answer = f"{lead(question, action)}\n\n{context_heading(question)}\n{result.answer}"
            quoted = {(a.source, a.section) for a in action}
            cited = [c for c in result.citations if (c.source, c.section) not in quoted]
            result.citations = [*_citations(action), *cited]
    if answer_cache is not None and (result.used_llm or llm is None):
        answer_cache.put(key, result)  # an answer the LLM failed to write is not kept: the next ask retries
    return result


def _action_first(question: str, settings: AskNeeds, results: list[SearchResult]) -> list[SearchResult]:
    """For a question asking what to do: the best document's first-checks and fix sections."""
    if not results or not asks_for_action(question) or not results[0].root:
        return []
    from knowledge.service import get_retriever

    found = action_sections(get_retriever(settings), results[0], question)
    return [with_link(r, settings.web.public_url, settings.knowledge) for r in found]


def _write_with_llm(result: AskResult, sections: list[SearchResult], llm: LLMClient, settings: AskNeeds) -> None:
    from handlers.llm.ask_answer import llm_answer
    from integrations.llm.structured import calls_note, failure_note

    written = llm_answer(result.question, sections, llm, budget_tokens=settings.llm.prompt_budget_tokens)
    if written.status == "answered":
        result.answer = written.text
        result.citations = [result.citations[i] for i in written.cited]
        result.used_llm = True
        result.llm_note = calls_note(written.model, written.calls)
    else:
        result.llm_note = failure_note(written.status == "unavailable", written.reason)


def answer_card(result: AskResult) -> Card:
    return Card(
        kind=CardKind.answer, status=CardStatus.done, title=f"Q: {result.question[:140]}",
        summary="" if result.found else "No answer in the knowledge base; nearest documents below.",
        text=result.answer,
        citations=[Citation(**c.model_dump()) for c in result.citations],
        footer=" · ".join(p for p in ("answer from the knowledge base", result.llm_note or
                                      ("" if result.used_llm else "no LLM"), "cached" if result.cached else "") if p),
    )


def handle_command(cmd: Command, settings: AskNeeds, llm: LLMClient | None = None,
                   incident: Card | None = None) -> Card:
    """`/ask QUESTION` (with `llm`, the answer the model wrote from the sections found; with
    `incident`, a question asked in that incident card's thread)."""
    from knowledge.errors import KnowledgeError
    from knowledge.service import index_exists

    question = cmd.text.strip()
    if not question:
        return Card(kind=CardKind.help, status=CardStatus.done, title="/ask", text=USAGE)
    indexed = settings.knowledge.enabled and index_exists(settings)
    if not indexed and incident is None:
        reason = "the knowledge base is disabled" if not settings.knowledge.enabled else "nothing is indexed yet"
        return Card(kind=CardKind.answer, status=CardStatus.degraded, title=f"Q: {question[:140]}",
                    summary=f"I cannot answer: {reason}.", unavailable=[Unavailable(source="knowledge", reason=reason)])
    try:
        result = ask(question, settings, answer_cache=AskAnswerCache.from_settings(settings), llm=llm,
                     incident=incident, indexed=indexed)
    except KnowledgeError as exc:
        return Card(kind=CardKind.answer, status=CardStatus.degraded, title=f"Q: {question[:140]}",
                    summary=str(exc), unavailable=[Unavailable(source="knowledge", reason=str(exc))])
    return answer_card(result)
