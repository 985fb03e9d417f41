"""A family's runbook goes first when the first results are about its alerts; sections read whole."""

from __future__ import annotations

from knowledge.retrieval import SearchResult, in_order, join_chunks, promote_family
from knowledge.store import Hit


def _doc(source: str, *, alerts: tuple[str, ...] = (), keys: tuple[str, ...] = ()) -> SearchResult:
    return SearchResult(source=source, title=source, section="", score=0.0, text="", doc_type="runbook",
                        alerts=list(alerts), keys=list(keys))


FAMILY = _doc("quota.md", alerts=("KubeCPUOvercommit", "KubeCPUQuotaOvercommit", "KubeQuotaExceeded"))


def test_siblings_of_one_family_put_the_family_runbook_first() -> None:
    results = [_doc("KubeCPUQuotaOvercommit.md", keys=("kubecpuquotaovercommit",)),
               _doc("KubeCPUOvercommit.md", keys=("kubecpuovercommit",)), _doc("other.md"), FAMILY]
    assert [r.source for r in promote_family(results)][:2] == ["quota.md", "KubeCPUQuotaOvercommit.md"]


def test_one_vote_is_not_a_family() -> None:
    results = [_doc("KubeCPUQuotaOvercommit.md", keys=("kubecpuquotaovercommit",)), _doc("a.md"), _doc("b.md"),
               FAMILY]
    assert promote_family(results) == results
    alone = [FAMILY, _doc("a.md"), _doc("b.md")]  # the family runbook by itself: already where it is
    assert promote_family(alone) == alone


def test_a_section_split_into_chunks_reads_whole_without_the_overlap() -> None:
    first = "- `kubectl get pods`: what runs.\n- `kubectl describe pod x`: its events."
    second = "describe pod x`: its events.\n- `kubectl logs x --previous`: the last run."
    assert join_chunks([first, second]) == first + "\n- `kubectl logs x --previous`: the last run."
    assert join_chunks([]) == "" and join_chunks(["a"]) == "a"


def test_equal_fused_scores_are_ordered_by_similarity_then_source_and_section() -> None:
    def hit(source: str, section: str, dense: list[float], score: float = 0.5) -> Hit:
        return Hit(id=f"{source}{section}", score=score, payload={"source": source, "section": section},
                   dense=dense)

    hits = [hit("b.md", "x", [1.0, 0.0]), hit("a.md", "y", [1.0, 0.0]), hit("a.md", "x", [1.0, 0.0]),
            hit("c.md", "x", [1.0, 1.0]), hit("d.md", "x", [0.0, 1.0], score=0.9)]
    ordered = [(h.payload["source"], h.payload["section"]) for h in in_order(hits, [1.0, 0.0])]
    assert ordered == [("d.md", "x"), ("a.md", "x"), ("a.md", "y"), ("b.md", "x"), ("c.md", "x")]
    assert in_order(list(reversed(hits)), [1.0, 0.0]) == in_order(hits, [1.0, 0.0])
