"""Feedback benchmark: what ten 👎 on a card move, through the real feedback store on a real redis-server.

Every ranking goes through the triage path: k + EXTRA_CANDIDATES retrieved, reordered by the votes
Redis holds for the alert (`rank_adjuster`, the knowledge enricher's hook), k cited.

1. `bundled` (also in bench/storm_bench.py's report): the bundled runbooks alone; for every alert they
   name, is its runbook among the three cited (hit@3)? Ten people vote 👎 on one alert's card; the
   demoted section's rank for that alert before / after, hit@3 of every other alert.
2. `corpus`, the hidden regression set: the knowledge bench's index (../shared/corpus and the bundled
   library) and its alert -> runbook cases (kube-prometheus rules whose runbook_url has a runbook file
   in the corpus; by name and renamed, with and without runbook_url; dev and test halves), scored with
   the knowledge bench's own `evaluate` / `right`. Ten people vote 👎 on the card of each of three
   alerts (the demoted pairs: that alert -> every section its card cited); measured again: the rank of
   each demoted section in the next card of its alert, hit@1 / hit@3 of the other alerts (must not move)
   and of the demoted ones, every (case, variant) whose top 3 changed.

Usage: .venv/bin/python -m bench.feedback_bench [--corpus ../shared/corpus] [--work DIR] [--targets A B C]
       [--out bench/results/feedback.md] [--skip-bundled]
`--work DIR` reuses DIR/edge (the knowledge bench's `--work` layout: only changed files are embedded).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from bench.knowledge_bench import (  # noqa: E402
    FLOOR,
    FOLDERS,
    SETTINGS,
    VARIANTS,
    CachingEmbedder,
    alert_cases,
    bundled_owners,
    evaluate,
    half,
    query_of,
    right,
    variant,
)
from handlers.feedback import EXTRA_CANDIDATES, FeedbackStore, Verdict, rank_adjuster, section_key  # noqa: E402
from knowledge.backends import open_store  # noqa: E402
from knowledge.config import NO_FLOOR, Floor, KnowledgeSettings  # noqa: E402
from knowledge.documents import read_document  # noqa: E402
from knowledge.embeddings import EmbeddedEmbedder, Embedder  # noqa: E402
from knowledge.ingest import Ingestor, IngestSource  # noqa: E402
from knowledge.retrieval import AlertQuery, Retriever, SearchResult  # noqa: E402
from knowledge.service import BUNDLED_ROOT, bundled_runbooks_dir  # noqa: E402
from knowledge.sparse import SparseVector  # noqa: E402
from knowledge.store import Store  # noqa: E402
from tests.support.servers import redis_server  # noqa: E402

VOTERS = 10
K = 3
Vectors = tuple[list[float], SparseVector]
Adjust = Callable[[str, list[SearchResult], int], list[SearchResult]]


class VotedRetriever(Retriever):
    """`for_alert` as the knowledge enricher cites: k + EXTRA_CANDIDATES retrieved, the votes on the
    alert applied, k kept; so the knowledge bench's `evaluate` scores the vote-aware ranking."""

    def __init__(self, store: Store, embedder: Embedder, adjust: Adjust) -> None:
        super().__init__(store, embedder)
        self.adjust = adjust
        self.asked: Counter[str] = Counter()  # queries per alert name
        self.reordered: Counter[str] = Counter()  # ... whose candidates the votes reordered (the leak check)

    def ranked(self, alert: AlertQuery, k: int = K, *, doc_types: list[str] | None = None,
               vectors: Vectors | None = None, floor: Floor = NO_FLOOR) -> list[SearchResult]:
        """Every candidate the next card chooses from, in the order the votes leave them."""
        found = super().for_alert(alert, k + EXTRA_CANDIDATES, doc_types=doc_types, vectors=vectors, floor=floor)
        ranked = self.adjust(alert.name, found, len(found))
        self.asked[alert.name] += 1
        self.reordered[alert.name] += [key(r) for r in ranked] != [key(r) for r in found]
        return ranked

    def for_alert(self, alert: AlertQuery, k: int = K, *, doc_types: list[str] | None = None,
                  vectors: Vectors | None = None, floor: Floor = NO_FLOOR) -> list[SearchResult]:
        return self.ranked(alert, k, doc_types=doc_types, vectors=vectors, floor=floor)[:k]


def key(result: SearchResult) -> str:
    return section_key(result.source, result.section)


def rank_of(section: str, ranked: list[SearchResult]) -> int | None:
    return next((i + 1 for i, r in enumerate(ranked) if key(r) == section), None)


def vote_down(client: redis.Redis, work: Path, alertname: str, cited: list[str]) -> None:
    """Ten people press 👎 on one card of the alert that cited `cited` (one vote each, as the worker records)."""
    store = FeedbackStore(client, work)
    for voter in range(VOTERS):
        store.record(Verdict(card_key=f"card-{alertname}", vote="down", platform="slack", channel="C1",
                             user=f"u{voter}", user_id=f"U{voter}", alertname=alertname, card_kind="triage",
                             cited=cited))


def adjuster(url: str) -> Adjust:
    return rank_adjuster(SimpleNamespace(redis_url=url))


def bundled(work: Path) -> dict[str, Any]:
    """The bundled runbooks alone: 10 👎 on the first alert's card, hit@3 of every other alert."""
    folder = bundled_runbooks_dir()
    store = open_store(KnowledgeSettings(store="edge"), work / "index", write=True)
    embedder = EmbeddedEmbedder()
    Ingestor(store, embedder).run([IngestSource(path=folder, doc_type="runbook", root=BUNDLED_ROOT)])
    cases = [(name, path.name) for path in sorted(folder.glob("*.md"))
             for name in read_document(path, path.name, doc_type="runbook").alerts]
    with redis_server(work) as server:
        client = redis.Redis.from_url(server.url)
        voted = VotedRetriever(store, embedder, adjuster(server.url))

        def hits() -> dict[str, bool]:
            return {name: any(r.source.endswith(doc) for r in voted.for_alert(AlertQuery(name=name)))
                    for name, doc in cases}

        before = hits()
        target = cases[0][0]
        card = voted.for_alert(AlertQuery(name=target))
        vote_down(client, work, target, [key(r) for r in card])
        after = hits()
        rank_after = rank_of(key(card[0]), voted.ranked(AlertQuery(name=target)))
        client.close()
    store.close()
    others = [name for name, _ in cases if name != target]
    return {"cases": len(cases), "target": target, "demoted": key(card[0]), "rank_before": 1,
            "rank_after": rank_after, "on_card_after": rank_after is not None and rank_after <= K,
            "hit3_before": sum(before[n] for n in others) / len(others),
            "hit3_after": sum(after[n] for n in others) / len(others),
            "changed_other_alerts": sum(before[n] != after[n] for n in others)}


def report_bundled(fb: dict[str, Any]) -> list[str]:
    return ["## Feedback: 10 👎 on one alert's card, bundled runbooks alone", "",
            f"Bundled runbooks, {fb['cases']} alerts they name; the card of `{fb['target']}` cited its top "
            "three sections and ten people voted 👎.", "",
            "| measure | before | after |", "|---|---|---|",
            f"| rank of `{fb['demoted']}` for {fb['target']} | {fb['rank_before']} | {fb['rank_after']}"
            f"{' (still on the card)' if fb['on_card_after'] else ' (off the card)'} |",
            f"| hit@3 of the other {fb['cases'] - 1} alerts | {fb['hit3_before']:.3f} | {fb['hit3_after']:.3f} |",
            f"| other alerts whose top 3 changed | | {fb['changed_other_alerts']} |"]


# --- 2. the knowledge bench's held-out set ---------------------------------------------------------

def choose_targets(cards: dict[str, list[SearchResult]], count: int) -> list[str]:
    """`count` alerts in an order fixed by a hash of the name (not picked by hand), whose cards cite
    something and whose top sections differ, so that each demotion is a different pair."""
    chosen: list[str] = []
    tops: set[str] = set()
    for name in sorted(cards, key=lambda n: hashlib.sha1(n.encode()).hexdigest()):
        if cards[name] and key(cards[name][0]) not in tops:
            chosen.append(name)
            tops.add(key(cards[name][0]))
        if len(chosen) == count:
            break
    return chosen


def per_case(retriever: Retriever, cases: list[dict[str, Any]]) -> dict[tuple[int, str], list[SearchResult]]:
    """Each (case, variant)'s top 3 as the knowledge bench asks for it (runbooks, floors on)."""
    return {(i, variant(with_name, with_url)): retriever.for_alert(
                query_of(case, with_name=with_name, with_url=with_url), k=K, doc_types=["runbook"], floor=FLOOR)
            for i, case in enumerate(cases) for with_name, with_url in VARIANTS}


def scores(tops: dict[tuple[int, str], list[SearchResult]], cases: list[dict[str, Any]], owners: dict[str, str],
           chosen: set[int]) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(variant, half) -> (cases, hit@1 count, hit@3 count) over the chosen cases."""
    out: dict[tuple[str, str], tuple[int, int, int]] = {}
    for (i, name), found in tops.items():
        if i not in chosen:
            continue
        n, h1, h3 = out.get((name, half(cases[i]["name"])), (0, 0, 0))
        out[(name, half(cases[i]["name"]))] = (n + 1, h1 + (bool(found) and right(found[0], cases[i], owners)),
                                               h3 + any(right(r, cases[i], owners) for r in found))
    return out


def corpus_regression(corpus: Path, work: Path, wanted: list[str], count: int = 3) -> dict[str, Any]:
    embedder = CachingEmbedder(EmbeddedEmbedder())
    sources = [IngestSource(path=corpus / folder, doc_type=kind) for folder, kind in FOLDERS.items()]
    sources.append(IngestSource(path=bundled_runbooks_dir(), doc_type="runbook", root=BUNDLED_ROOT))
    store = open_store(KnowledgeSettings(store="edge"), work / "edge", write=True)
    ingest = Ingestor(store, embedder, progress=True).run(sources)
    print(ingest.line(), flush=True)
    cases = alert_cases(corpus)
    owners = bundled_owners()
    _, postmortem_floor = SETTINGS.floors()
    started = time.perf_counter()
    with redis_server(work) as server:
        client = redis.Redis.from_url(server.url)
        voted = VotedRetriever(store, embedder, adjuster(server.url))
        plain = Retriever(store, embedder)
        plain_k3 = evaluate(plain, cases, owners, FLOOR)  # the knowledge bench as it runs
        queries = {c["name"]: query_of(c) for c in cases}  # as received: the name and the runbook_url
        ranked_before = {name: voted.ranked(q, floor=FLOOR) for name, q in queries.items()}
        targets = wanted or choose_targets({name: found[:K] for name, found in ranked_before.items()}, count)
        before_all = evaluate(voted, cases, owners, FLOOR)
        tops_before = per_case(voted, cases)
        tops_again = per_case(voted, cases)  # the same queries again, no vote in between: the store's own noise
        cited = {t: [key(r) for r in ranked_before[t][:K]] + [key(r) for r in plain.similar_postmortems(
            queries[t], 2, floor=postmortem_floor)] for t in targets}  # the card's runbooks and post-mortems
        for target in targets:
            vote_down(client, work, target, cited[target])
        voted.asked.clear()
        voted.reordered.clear()
        after_all = evaluate(voted, cases, owners, FLOOR)
        tops_after = per_case(voted, cases)
        ranked_after = {t: voted.ranked(queries[t], floor=FLOOR) for t in targets}
        client.close()
    store.close()
    demoted = {i for i, c in enumerate(cases) if c["name"] in targets}
    others = set(range(len(cases))) - demoted
    sections = {s for t in targets for s in cited[t]}
    changed = changes(tops_before, tops_after, cases)
    return {
        "ingest": ingest, "cases": cases, "targets": targets, "cited": cited, "plain_k3": plain_k3,
        "before_all": before_all, "after_all": after_all, "seconds": time.perf_counter() - started,
        "ranks": {t: [(s, rank_of(s, ranked_before[t]), rank_of(s, ranked_after[t])) for s in cited[t]
                      if rank_of(s, ranked_before[t])] for t in targets},
        "next_card": {t: [key(r) for r in ranked_after[t][:K]] for t in targets},
        "others_before": scores(tops_before, cases, owners, others),
        "others_after": scores(tops_after, cases, owners, others),
        "demoted_before": scores(tops_before, cases, owners, demoted),
        "demoted_after": scores(tops_after, cases, owners, demoted),
        "exposed": sum(i in others and any(key(r) in sections for r in found) for (i, _), found in tops_before.items()),
        "changed_others": [c for c in changed if c[0] not in targets],
        "changed_demoted": [c for c in changed if c[0] in targets],
        "noise": changes(tops_before, tops_again, cases),
        "asked": {"others": sum(n for a, n in voted.asked.items() if a not in targets),
                  "demoted": sum(n for a, n in voted.asked.items() if a in targets)},
        "reordered": dict(voted.reordered),
        "candidates": {t: len(ranked_before[t]) for t in targets},
    }


def changes(before: dict[tuple[int, str], list[SearchResult]], after: dict[tuple[int, str], list[SearchResult]],
            cases: list[dict[str, Any]]) -> list[tuple[str, str, list[str], list[str]]]:
    """(alert, variant, top 3 before, after) of every (case, variant) whose top 3 is not the same."""
    return [(cases[i]["name"], name, [key(r) for r in before[(i, name)]], [key(r) for r in found])
            for (i, name), found in after.items() if [key(r) for r in found] != [key(r) for r in before[(i, name)]]]


def _rate(row: tuple[int, int, int] | None) -> str:
    if not row:
        return "-"
    n, h1, h3 = row
    return f"{h1 / n:.3f} / {h3 / n:.3f}"


def report_corpus(r: dict[str, Any], work: Path | None) -> str:
    ingest = r["ingest"]
    cases, targets = r["cases"], r["targets"]
    n_demoted = sum(c["name"] in targets for c in cases)
    n_others = (len(cases) - n_demoted) * len(VARIANTS)
    lines = [
        "# Feedback benchmark", "",
        "`.venv/bin/python -m bench.feedback_bench [--work DIR]`: votes recorded through "
        "`handlers.feedback.FeedbackStore` on a real redis-server, read back by `rank_adjuster` (the knowledge "
        f"enricher's hook) on every query: {K} + {EXTRA_CANDIDATES} candidates retrieved, reordered by the "
        f"alert's votes, {K} cited.", "",
        "## Hidden regression set: the knowledge bench's alert -> runbook cases", "",
        f"Index: the knowledge bench's (`shared/corpus` and the bundled library, {ingest.files} files"
        + (f", reused from `--work`: {ingest.chunks_added + ingest.chunks_changed} chunks re-embedded in "
           f"{ingest.seconds:.1f} s)" if work else f", embedded in {ingest.seconds:.0f} s)")
        + f". Cases: its {len(cases)} kube-prometheus rules x 4 variants (by name / renamed, with / without "
        "runbook_url), dev and test halves, scored by its `evaluate` / `right` (runbooks only, floors on). "
        f"Ten people voted 👎 on the card of each of {len(targets)} alerts (chosen by a hash of the name among "
        "cards with different top sections); the card = what triage cites for the alert as received (name and "
        "runbook_url): its runbooks/docs and its \"seen before\" post-mortems, every one of which the vote "
        f"demotes for that alert. {n_demoted} of the {len(cases)} rules carry a demoted alert's name. Scoring "
        f"before and after took {r['seconds']:.0f} s.", "",
        "| demoted alert (half) | candidates | each section its card cited: rank in the next card's candidates, "
        "before -> after | the next card cites |", "|---|---|---|---|",
    ]
    for t in targets:
        moves = "; ".join(f"`{s}` {b} -> {a if a else 'gone'}" for s, b, a in r["ranks"][t])
        lines.append(f"| {t} ({half(t)}) | {r['candidates'][t]} | {moves} | "
                     f"{', '.join(f'`{s}`' for s in r['next_card'][t])} |")
    lines += ["", "hit@1 / hit@3 (before -> after the votes):", "",
              "| alert as received | half | knowledge bench as it runs (k=3, no votes) | all cases, triage path | "
              "other alerts | demoted alerts |", "|---|---|---|---|---|---|"]
    for key_ in r["before_all"]:
        h1b, h3b, _ = r["before_all"][key_]
        h1a, h3a, _ = r["after_all"][key_]
        k1, k3, _ = r["plain_k3"][key_]
        lines.append(f"| {key_[0]} | {key_[1]} | {k1:.3f} / {k3:.3f} | "
                     f"{h1b:.3f} / {h3b:.3f} -> {h1a:.3f} / {h3a:.3f} | "
                     f"{_rate(r['others_before'].get(key_))} -> {_rate(r['others_after'].get(key_))} | "
                     f"{_rate(r['demoted_before'].get(key_))} -> {_rate(r['demoted_after'].get(key_))} |")
    reordered_others = sum(n for a, n in r["reordered"].items() if a not in targets)
    reordered_demoted = sum(n for a, n in r["reordered"].items() if a in targets)
    noise = {(c[0], c[1]) for c in r["noise"]}
    lines += [
        "", "Leak check, the feedback logic alone: after the votes, "
        f"{r['asked']['others']} queries carried another alert's name (`RenamedAlert` included) and the votes "
        f"reordered the candidates of {reordered_others} of them; of the {r['asked']['demoted']} with a demoted "
        f"alert's name, {reordered_demoted} were reordered. Before the votes, {r['exposed']} of the other "
        f"{n_others} (case, variant)s cited one of the demoted sections: votes are kept per alert name, so they "
        "keep them.", "",
        f"Top 3 that differ between the run before and the run after the votes: other alerts "
        f"{len(r['changed_others'])} of {n_others}, demoted alerts {len(r['changed_demoted'])} of "
        f"{n_demoted * len(VARIANTS)}. The same queries asked twice with no vote in between differ in "
        f"{len(r['noise'])}: Qdrant Edge returns chunks of equal fused (RRF) score in no fixed order, so which "
        "section of a document is cited, or the order of two tied documents, varies from query to query; hit@k "
        "counts documents and does not move. Every difference (* = a demoted alert by its own name, where the "
        "votes apply; the rest is that noise):", "",
    ]
    for name, var, b, a in r["changed_others"] + r["changed_demoted"]:
        mark = "*" if name in targets and var.startswith("name") else ""  # its own name: the votes apply
        seen = " (also in the vote-free re-run)" if (name, var) in noise else ""
        lines.append(f"- {mark}{name}, {var}{seen}: {', '.join(b)} -> {', '.join(a)}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--work", type=Path, help="reuse this folder's `edge` index (the knowledge bench's layout)")
    parser.add_argument("--targets", nargs="+", default=[], help="the alerts voted on (default: 3 by a name hash)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "feedback.md")
    parser.add_argument("--skip-bundled", action="store_true", help="only the knowledge bench's held-out set")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="opsbot-feedback-bench-"))
    result = corpus_regression(args.corpus, work, args.targets)
    text = report_corpus(result, args.work)
    if not args.skip_bundled:
        with tempfile.TemporaryDirectory() as scratch:
            text += "\n" + "\n".join(report_bundled(bundled(Path(scratch)))) + "\n"
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
