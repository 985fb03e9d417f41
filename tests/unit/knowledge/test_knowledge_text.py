"""Tokenisation (EN, RU, identifiers), document parsing (Markdown, RST, front matter) and chunking."""

from __future__ import annotations

import logging

import pytest

from knowledge.chunking import approximate_tokens, chunk_document, default_counter
from knowledge.documents import name_key, parse_document, read_document, url_key
from knowledge.sparse import document_vector, query_vector, term_id, tokenize
from tests.support.paths import TEST_DATA

DATA = TEST_DATA / "knowledge"


# -- tokenisation ------------------------------------------------------------------------------
def test_english_words_are_lowercased_stemmed_and_stop_words_dropped() -> None:
    assert tokenize("The pods are Crashing and restarting") == ["pod", "crash", "restart"]


def test_russian_words_are_stemmed_with_the_russian_stemmer() -> None:
    terms = tokenize("Перезапуск демонов OSD после ошибок диска")
    assert {"перезапуск", "демон", "osd", "диск"} <= set(terms)
    assert tokenize("дисков") == tokenize("диска") == tokenize("диски")  # forms share one stem
    assert "после" not in terms  # a Russian stop word


def test_yo_and_ye_are_the_same_letter() -> None:
    assert tokenize("всё ещё ёмкость") == tokenize("все еще емкость")


@pytest.mark.parametrize(
    ("identifier", "whole", "parts"),
    [
        ("KubePodCrashLooping", "kubepodcrashlooping", ["kube", "pod", "crash", "loop"]),
        ("osd.12", "osd.12", ["osd", "12"]),
        ("mem_fragmentation_ratio", "mem_fragmentation_ratio", ["mem", "fragment", "ratio"]),
        ("HTTPRequestsTotal", "httprequeststotal", ["http", "request", "total"]),
        ("kube-state-metrics", "kube-state-metrics", ["kube", "state", "metric"]),
    ],
)
def test_identifiers_are_kept_whole_and_split_into_parts(identifier: str, whole: str, parts: list[str]) -> None:
    terms = tokenize(f"see {identifier} now")
    assert whole in terms
    for part in parts:
        assert part in terms


def test_an_exact_identifier_matches_only_itself_but_its_parts_match_prose() -> None:
    doc = set(query_vector("osd.12 is down").indices)
    assert term_id("osd.12") in doc
    assert term_id("osd") in set(query_vector("the OSD is down").indices)
    assert term_id("osd.12") not in set(query_vector("osd 12").indices)


def test_bm25_weights_saturate_with_repetition_and_shrink_with_length() -> None:
    once = document_vector("redis memory")
    many = document_vector("redis " * 20 + "memory")
    redis = term_id(tokenize("redis")[0])
    w_once = dict(zip(once.indices, once.values, strict=True))[redis]
    w_many = dict(zip(many.indices, many.values, strict=True))[redis]
    assert w_once < w_many < 2.2 * 1.0 + 0.01  # bounded by k1 + 1
    long_doc = document_vector("redis " + "filler words here " * 100)
    w_long = dict(zip(long_doc.indices, long_doc.values, strict=True))[redis]
    assert w_long < w_once
    assert query_vector("").indices == []


# -- documents ---------------------------------------------------------------------------------
def test_markdown_front_matter_title_sections_and_keys() -> None:
    doc = read_document(DATA / "runbooks" / "disk-full.md", "runbooks/disk-full.md")
    assert doc.title == "Node disk almost full"
    assert doc.doc_type == "runbook"  # guessed from the path
    assert doc.alerts == ["NodeFilesystemAlmostOutOfSpace", "NodeFilesystemSpaceFillingUp"]
    assert doc.services == ["node"]
    assert doc.url == "https://wiki.example.internal/runbooks/disk-full"
    headings = ("Meaning", "Diagnosis", "Mitigation")
    assert [s.path for s in doc.sections] == [["Node disk almost full", h] for h in headings]
    assert {"nodefilesystemalmostoutofspace", "diskfull", "nodediskalmostfull"} <= set(doc.keys)


def test_markdown_heading_inside_code_is_not_a_section() -> None:
    text = "# Title\n\n```\n# not a heading\n```\n\n## Real\n\nbody\n"
    doc = parse_document(text, "x.md")
    assert [s.path for s in doc.sections] == [["Title"], ["Title", "Real"]]
    assert "# not a heading" in doc.sections[0].text


def test_rst_headings_with_overline_and_underline_levels() -> None:
    doc = read_document(DATA / "runbooks" / "ceph-osd.rst", "ceph-osd.rst")
    assert doc.title == "Ceph OSD down"
    assert doc.alerts == ["CephOSDDown"]
    assert [s.path for s in doc.sections] == [
        ["Ceph OSD down", "Meaning"],
        ["Ceph OSD down", "Diagnosis"],
        ["Ceph OSD down", "Diagnosis", "Disk errors"],
    ]


def test_doc_type_precedence_front_matter_over_argument_over_guess() -> None:
    front = "---\ndoc_type: postmortem\n---\n# A\nx"
    assert parse_document(front, "runbooks/a.md", doc_type="doc").doc_type == "postmortem"
    assert parse_document("# A\nx", "runbooks/a.md", doc_type="doc").doc_type == "doc"
    assert parse_document("# A\nx", "postmortems/2024-a.md").doc_type == "postmortem"
    assert parse_document("# A\nx", "notes/a.md").doc_type == "doc"


def test_a_horizontal_rule_is_not_front_matter() -> None:
    doc = parse_document("---\n\n# Title\n\ntext\n", "a.md")
    assert doc.title == "Title"


def test_names_and_urls_normalise_to_the_same_key() -> None:
    assert name_key("KubePodCrashLooping") == name_key("Kube Pod Crash Looping") == "kubepodcrashlooping"
    assert url_key("https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping/") == (
        "kubepodcrashlooping"
    )
    assert url_key("https://wiki/x/KubePodCrashLooping.md#diagnosis") == "kubepodcrashlooping"


# -- chunking ----------------------------------------------------------------------------------
def test_chunks_keep_heading_path_and_drop_repeated_title() -> None:
    doc = read_document(DATA / "runbooks" / "ceph-osd.rst", "ceph-osd.rst")
    chunks = chunk_document(doc)
    assert [c.section for c in chunks] == ["Meaning", "Diagnosis", "Diagnosis > Disk errors"]
    assert chunks[2].embed_text.startswith("Ceph OSD down > Diagnosis > Disk errors\n")


@pytest.mark.parametrize("counter", ["wordpiece", "approximate"])
def test_long_sections_fit_the_model_window_with_overlap(counter: str) -> None:
    count = default_counter() if counter == "wordpiece" else approximate_tokens
    sentences = [f"Sentence {i} says how osd.{i} recovers after mem_fragmentation_ratio spikes." for i in range(200)]
    text = "# Long\n\n## Part\n\n" + "\n\n".join(" ".join(sentences[i:i + 5]) for i in range(0, 200, 5))
    text += "\n\n" + "x" * 5000  # one enormous word
    chunks = chunk_document(parse_document(text, "long.md"), max_tokens=128, overlap=16, count=count)
    assert len(chunks) > 10
    assert all(count(c.embed_text) + 2 <= 128 for c in chunks)
    # each continuation starts with the tail of the previous chunk
    first, second = chunks[0].text.split(), chunks[1].text.split()
    assert second[0] in first[-16:]
    assert [c.index for c in chunks] == list(range(len(chunks)))


def test_front_matter_that_does_not_parse_is_text_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    broken = '---\ntitle: A\nsymptoms:\n  - "No space" left on device\n---\n# A\n\ntext\n'
    with caplog.at_level(logging.WARNING, logger="knowledge.documents"):
        doc = parse_document(broken, "runbooks/a.md")
    assert doc.symptoms == [] and "runbooks/a.md: front matter does not parse (line 4)" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="knowledge.documents"):
        parse_document("---\nsome text: not meant as fields, a rule [\n---\n# A\n", "b.md")
        parse_document("---\njust a rule\n---\n# A\n", "c.md")
    assert "c.md" not in caplog.text
