"""Symptom phrases: a question that describes what one sees finds the document whose symptom it is."""

from __future__ import annotations

from knowledge.query_terms import weighted_groups
from knowledge.retrieval import SearchResult
from knowledge.symptoms import symptom_scores


def _doc(source: str, symptoms: list[str]) -> SearchResult:
    return SearchResult(source=source, title=source, section="", score=1.0, text="", doc_type="runbook",
                        symptoms=symptoms)


CLOCK = _doc("node-clock.md", ["certificate is not yet valid", "date on the host shows another year"])
CERTS = _doc("kubernetes-certificates.md", ["x509: certificate has expired", "CSR stuck in Pending"])
DISK = _doc("node-disk-io.md", ["ata hard resetting link", "blk_update_request: I/O error, dev sda"])


def _scores(question: str, docs: list[SearchResult]) -> list[float]:
    return symptom_scores(question, weighted_groups(question), docs)


def test_the_phrase_decides_not_the_shared_words() -> None:
    question = "pods on worker-9 fail TLS with 'x509: certificate is not yet valid'"
    clock, certs, _ = _scores(question, [CLOCK, CERTS, DISK])
    assert clock > certs


def test_a_short_phrase_needs_all_its_words() -> None:
    assert _scores("the certificate has", [CLOCK, CERTS, DISK]) == [0.0, 0.0, 0.0]


def test_a_phrase_that_says_not_needs_a_question_that_says_it() -> None:
    assert _scores("the certificate is valid yet", [CLOCK, CERTS, DISK])[0] == 0.0
    assert _scores("the certificate isn't valid yet", [CLOCK, CERTS, DISK])[0] > 0
    assert _scores("the certificate isnt valid yet", [CLOCK, CERTS, DISK])[0] > 0  # chat drops the apostrophe


def test_an_examples_level_is_no_word_of_the_symptom() -> None:
    nearfull = _doc("ceph-osd-nearfull.md", ["one OSD at 94%, cluster average 70%"])
    assert _scores("load average 38, swap almost full", [nearfull, DISK]) == [0.0, 0.0]


def test_a_long_error_line_matches_with_a_word_missing() -> None:
    _, _, disk = _scores("dmesg says 'I/O error, dev sdb' all the time", [CLOCK, CERTS, DISK])
    assert disk > 0


def test_a_russian_question_meets_an_english_symptom() -> None:
    clock, certs, _ = _scores("csr висят в pending, ноды не джойнятся", [CLOCK, CERTS, DISK])
    assert certs > clock == 0.0


def test_context_counts_less_than_the_symptom() -> None:
    symptom = _scores("csr stuck in pending", [CERTS, DISK])[0]
    context = _scores("nodes do not join, though csr are stuck in pending", [CERTS, DISK])[0]
    assert 0 < context < symptom


def test_documents_without_symptoms_score_nothing() -> None:
    assert _scores("anything at all", [_doc("a.md", []), _doc("b.md", [])]) == [0.0, 0.0]


def test_an_identifier_matches_only_as_a_whole() -> None:
    targets = _doc("prometheus-targets.md", ["target_limit exceeded"])
    job = _doc("kubernetes-job.md", ["Job has reached the specified backoff limit"])
    assert _scores("the job failed with backoff limit exceeded", [targets, job])[0] == 0.0
    assert _scores("scrape fails: target_limit exceeded", [targets, job])[0] > 0


def test_an_address_counts_by_its_port() -> None:
    redis = _doc("redis-down.md", ["dial tcp 10.0.0.5:6379: i/o timeout"])
    alertmanager = _doc("alertmanager.md", ["notify retry canceled"])
    other_port = _scores("Failed to join 10.42.7.19:9094: dial tcp i/o timeout", [redis, alertmanager])[0]
    assert other_port < _scores("app logs dial tcp 10.1.2.3:6379: i/o timeout", [redis, alertmanager])[0]


def test_where_it_is_seen_need_not_be_said() -> None:
    raid = _doc("node-disk-io.md", ["mdstat shows [U_] for the array"])
    assert _scores("mdstat: md1 [2/1] [U_], one disk of the array gone", [raid, DISK])[0] > 0


def test_a_russian_verb_matches_in_its_other_aspect() -> None:
    operator = _doc("prometheus-operator.md", ["PrometheusRule не подхватывается"])
    assert _scores("почему новый PrometheusRule не подхватился?", [operator, DISK])[0] > 0


def test_a_symptom_of_one_word_matches_nothing() -> None:
    replication = _doc("redis-replication.md", ["connected_slaves:0 on the master"])
    assert _scores("which redis is the master now?", [replication, DISK]) == [0.0, 0.0]


def test_a_metric_names_parts_are_not_the_questions_words() -> None:
    hardware = _doc("node-hardware.md", ["процессор троттлит, сервер греется"])
    question = "p99 x3, container_cpu_cfs_throttled_periods_total climbs"
    assert _scores(question, [hardware, DISK]) == [0.0, 0.0]
    assert _scores("сервер греется и процессор троттлит", [hardware, DISK])[0] > 0
