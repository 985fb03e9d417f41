"""Numbers, host names, ids and filler words say which thing or how often, not what is wrong: they
count where a document has them and never against one that has not; a percentage reads as a usage
level, a path as a file system, a Russian loanword as the documents' word it starts."""

from __future__ import annotations

from knowledge.doc_rank import coverage, profile_coverage, profile_scores
from knowledge.query_terms import clauses, glossary, is_incidental, readings, weighted_groups, word_groups
from knowledge.retrieval import SearchResult


def _doc(source: str, title: str, terms: str = "") -> SearchResult:
    return SearchResult(source=source, title=title, section="", score=0.03, text="", doc_type="runbook", terms=terms)


def test_numbers_hosts_and_filler_do_not_dilute_coverage() -> None:
    cpu = _doc("node-cpu.md", "Node CPU or load high", "load average cpu")
    plain = profile_coverage(word_groups("load cpu"), cpu)
    noisy = profile_coverage(word_groups("load on build-agent-3 is 40 on 8 cpu every night"), cpu)
    assert plain == noisy == 1.0
    groups = word_groups("osd.113 down")
    assert all(is_incidental(g) for g in groups[:1]) and not is_incidental(groups[1])
    assert coverage(groups, {"osd.113", "osd", "down"}) == 1.0  # found where a document has it
    assert coverage(word_groups("sourdough bread 40"), {"load"}) == 0.0
    assert coverage(word_groups("what is 15% of 240"), {"15", "full", "usag", "240"}) == 0.0  # nothing but numbers


def test_a_number_and_its_unit_are_one_id_and_a_percentage_is_a_usage_level() -> None:
    assert [w for w, _, _ in readings("40 min behind")] == ["40 min", "behind"]
    (percent, _), = weighted_groups("95%")
    assert {"95", "full", "usag"} <= percent
    assert [w for w, _, _ in readings("restarts every few seconds")][-1] == "few seconds"


def test_a_path_is_a_file_system_and_a_number_after_pod_is_no_pod() -> None:
    assert "filesystem" in word_groups("/var is full")[0]
    assert not any("pod" in g for g in word_groups("куча под 90%"))
    assert any("pod" in g for g in word_groups("под висит"))


def test_a_kernel_path_or_device_is_no_file_system() -> None:
    assert not any("filesystem" in g for g in word_groups("/proc/mdstat shows [U_] and /dev/sdb errors"))


def test_service_and_team_names_say_who_not_what() -> None:
    service, *_ = word_groups("search-api p99 doubled")
    assert is_incidental(service) and not is_incidental(word_groups("kube-apiserver slow")[0])
    assert [w for w, _, _ in readings("payments team says nobody got paged")] == ["says", "nobody", "got", "paged"]
    assert [w for w, _, _ in readings("от команды billing пришло, ребята из crm жалуются")] == ["пришло", "жалуются"]
    assert "kubectl" in [w for w, _, _ in readings("команда kubectl apply висит")]  # a command, not a team


def test_a_glossary_word_with_digits_reads_no_bare_number() -> None:
    assert not any(stem.isdigit() for stem, _ in glossary())
    assert not any("kubernet" in g for g in word_groups("8 cores"))


def test_russian_a_after_a_comma_contrasts_like_but() -> None:
    weights = {c.strip(): w for c, w in clauses("алерты горят, а в слак ничего не приходит")}
    assert weights["алерты горят"] < weights["в слак ничего не приходит"] == 1.0


def test_a_russian_loanword_is_read_as_the_documents_word_it_starts() -> None:
    (_, _, latin), = readings("графана", known={"grafana", "prometheus"})
    assert "grafana" in latin.split()
    (_, _, latin), = readings("графана", known={"grafana", "grafanas", "grafanax"})
    assert latin == "grafa"  # too many words start so: none is guessed


def test_what_a_runbook_means_counts_in_its_profile() -> None:
    system = _doc("node-system.md", "Node service failed", "systemd unit")
    crash = _doc("pod-crash.md", "Pod crash looping", "restart loop")
    groups = word_groups("unit restarts again and again")
    bare = profile_scores(groups, [system, crash])
    told = profile_scores(groups, [system, crash], about=["A systemd unit restarts again and again.", ""])
    assert told[0] > bare[0] and told[1] == bare[1]


def test_a_service_name_is_read_whole_and_a_percentile_as_latency() -> None:
    search, p99 = word_groups("search-api p99")
    assert search == frozenset({"search-api"}) and is_incidental(search)
    assert "latenc" in p99
