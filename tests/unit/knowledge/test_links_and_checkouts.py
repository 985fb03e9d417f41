"""Citation links to local documents, and git checkouts of runbook repositories as sources."""

from __future__ import annotations

from pathlib import Path

from knowledge.backends import open_store
from knowledge.config import KnowledgeFolder, KnowledgeSettings
from knowledge.gitrepo import branch_url, web_base
from knowledge.ingest import Ingestor, IngestSource
from knowledge.links import anchor, document_link, find_document, with_link
from knowledge.retrieval import AlertQuery, Retriever, SearchResult
from knowledge.service import BUNDLED_ROOT
from tests.support.embedders import HashEmbedder

PUBLIC = "https://opsbot.example.internal/"


def test_anchors_follow_the_last_heading() -> None:
    assert anchor("First checks") == "first-checks"
    assert anchor("How to read > ImagePullBackOff: the image cannot be pulled") == \
        "imagepullbackoff-the-image-cannot-be-pulled"
    assert anchor("Первые проверки") == "первые-проверки"


def test_local_documents_link_to_the_web_process_only_with_a_public_url(tmp_path: Path) -> None:
    knowledge = KnowledgeSettings(folders=[KnowledgeFolder(path=tmp_path)])
    link = document_link(PUBLIC, knowledge, BUNDLED_ROOT, "pod-crash-looping.md", "First checks")
    assert link == "https://opsbot.example.internal/knowledge/pod-crash-looping.md#first-checks"
    assert document_link("", knowledge, BUNDLED_ROOT, "pod-crash-looping.md", "First checks") is None
    assert document_link(PUBLIC, knowledge, str(tmp_path.resolve()), "a b.md", "")  == \
        "https://opsbot.example.internal/knowledge/a%20b.md"
    assert document_link(PUBLIC, knowledge, "/somewhere/else", "x.md", "") is None  # not served: no link


def test_a_document_with_its_own_url_keeps_it() -> None:
    knowledge = KnowledgeSettings()
    own = SearchResult(source="x.md", title="X", section="S", score=1, text="", doc_type="runbook",
                       url="https://wiki/x", root=BUNDLED_ROOT)
    assert with_link(own, PUBLIC, knowledge).url == "https://wiki/x"
    assert with_link(own.model_copy(update={"url": None}), PUBLIC, knowledge).url == \
        "https://opsbot.example.internal/knowledge/x.md#s"


def test_only_documents_under_the_roots_are_found(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "b.md").write_text("# B")
    (tmp_path / "c.txt").write_text("C")
    knowledge = KnowledgeSettings(folders=[KnowledgeFolder(path=tmp_path)])
    assert find_document(knowledge, "a.md") == (tmp_path / "a.md").resolve()
    assert find_document(knowledge, "pod-crash-looping.md") is not None  # bundled
    for bad in (".git/b.md", "c.txt", "../a.md", "/etc/passwd", "", "sub/../../a.md"):
        assert find_document(knowledge, bad) is None, bad


def test_remotes_become_web_addresses_without_credentials() -> None:
    assert web_base("git@github.com:prometheus-operator/runbooks.git") == \
        "https://github.com/prometheus-operator/runbooks"
    assert web_base("https://user:s3cret@gitlab.example.org/ops/runbooks.git") == \
        "https://gitlab.example.org/ops/runbooks"
    assert web_base("ssh://git@git.example.org:2222/ops/rb") == "https://git.example.org/ops/rb"
    assert web_base("/srv/git/runbooks.git") is None and web_base("file:///srv/rb") is None


def _checkout(root: Path, remote: str = "git@github.com:acme/runbooks.git") -> Path:
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "config").write_text(f'[core]\n\tbare = false\n[remote "origin"]\n\turl = {remote}\n')
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (root / "README.md").write_text("# Runbooks\n\nHow to contribute to these runbooks.\n")
    (root / "content" / "kubernetes").mkdir(parents=True)
    (root / "content" / "kubernetes" / "KubePodCrashLooping.md").write_text(
        "# KubePodCrashLooping\n\n## Meaning\n\nThe pod restarts again and again.\n\n## Diagnosis\n\n"
        "- `kubectl -n NAMESPACE describe pod POD`\n")
    return root


def test_a_git_checkout_is_ingested_with_links_and_alert_names_from_file_names(tmp_path: Path) -> None:
    checkout = _checkout(tmp_path / "runbooks")
    assert branch_url(checkout) == "https://github.com/acme/runbooks/blob/main/"
    store = open_store(KnowledgeSettings(store="edge"), tmp_path / "data", write=True)
    try:
        summary = Ingestor(store, HashEmbedder()).run([IngestSource(path=checkout, doc_type="runbook")])
        assert summary.files == 1  # README at the top of the checkout is not a runbook
        found = Retriever(store, HashEmbedder()).for_alert(AlertQuery(name="KubePodCrashLooping"), k=1)
        assert found[0].match == "alert" and found[0].source == "content/kubernetes/KubePodCrashLooping.md"
        assert found[0].url == "https://github.com/acme/runbooks/blob/main/content/kubernetes/KubePodCrashLooping.md"
    finally:
        store.close()
