"""A family's runbook goes first when the first results are about its alerts; sections read whole."""

from __future__ import annotations

from knowledge.retrieval import SearchResult, join_chunks, promote_family


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
