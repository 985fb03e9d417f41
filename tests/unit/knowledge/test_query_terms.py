"""A Russian question read through the ops glossary and transliteration; abbreviations read as their words."""

from __future__ import annotations

import yaml

from knowledge.query_terms import GLOSSARY, english_reading, readings, sparse_text, transliterate, word_groups
from knowledge.sparse import tokenize


def test_colloquial_russian_is_read_as_the_english_words_runbooks_use() -> None:
    assert english_reading("нода отвалилась, кубелет не отвечает") == (
        "node down unavailable kubelet not respond answer")
    assert english_reading("забит диск на сервере") == "full disk host server"
    assert english_reading("лаг репликации растёт") == "lag behind replication replica grow high"


def test_pod_is_the_pod_unless_it_is_the_preposition() -> None:
    assert english_reading("под висит в pending").startswith("pod stuck")
    assert "pod" not in english_reading("кворум под угрозой")  # instrumental case: "under threat"
    assert "pod" not in english_reading("сервер под нагрузкой")


def test_kucha_is_the_heap_unless_it_means_a_lot_of() -> None:
    assert "heap" in english_reading("на es-data-3 куча под 90%")
    assert "heap" in english_reading("куча jvm забита") and "heap" in english_reading("размер кучи растёт")
    for question in ("куча csr висит в pending", "куча ошибок в логах", "кучу подов выселило"):
        assert "heap" not in english_reading(question), question


def test_a_longer_form_of_a_glossary_word_matches_its_stem() -> None:
    assert "restart" in english_reading("под перезапускается")  # "перезапуск" in the glossary


def test_unknown_words_are_transliterated_for_the_sparse_query_only() -> None:
    assert transliterate("кубелет") == "kubelet"
    question = "ингресс отдаёт 502"
    assert english_reading(question) == "502"  # the embedding model gets only words the glossary knows
    assert "ingress" in sparse_text(question)
    assert any("ingress" in group for group in word_groups(question))


def test_abbreviations_are_read_as_their_words_too() -> None:
    (word, reading, _), = readings("PVC")
    assert word == "PVC" and {"persistent", "volume", "claim"} <= set(reading.split())
    assert {"pvc", "persist", "volum"} <= word_groups("pvc")[0]


def test_stop_words_are_skipped_and_english_stays_as_it_is() -> None:
    assert [w for w, _, _ in readings("что с etcd и где лидер")] == ["etcd", "лидер"]
    assert sparse_text("etcd has no leader") == "etcd has no leader"


def test_the_glossary_maps_to_english_from_russian_or_latin_abbreviations() -> None:
    data = yaml.safe_load(GLOSSARY.read_text(encoding="utf-8"))
    assert len(data) >= 80
    for english, words in data.items():
        assert english.isascii() and words, english
        for word in words:
            assert tokenize(str(word)), (english, word)  # a word the stemmer keeps
