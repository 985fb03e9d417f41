"""Kubernetes evidence without an API server: log tails, targets from labels, read-only by construction,
RBAC, cluster settings."""

from __future__ import annotations

import inspect

import pytest
import yaml

from handlers.enrichers.evidence import kubernetes_factory
from integrations.kubernetes.client import ReadOnlyKube
from integrations.kubernetes.collector import cap_log, target_of
from integrations.kubernetes.config import KubeCluster, KubernetesSettings
from tests.support.fakes import kubernetes_api as k8s
from tests.support.kubernetes_alerts import group
from tests.support.paths import REPO


def test_log_tail_is_capped_by_lines_and_bytes() -> None:
    text = "".join(f"line {i} token=abcdef{i}\n" for i in range(1000))
    tail = cap_log(text, "app", False, max_lines=50, max_bytes=600)
    assert tail.truncated and len("\n".join(tail.lines).encode()) <= 600 and len(tail.lines) <= 50
    assert tail.lines[-1] == "line 999 token=[redacted]"
    assert not tail.lines[0].startswith("ine")  # the partial first line is dropped


def test_targets_from_alert_labels() -> None:
    assert target_of({"namespace": "a", "pod": "p"}).scope == "pod"  # type: ignore[union-attr]
    assert target_of({"namespace": "a", "statefulset": "db"}).kind == "StatefulSet"  # type: ignore[union-attr]
    assert target_of({"namespace": "a", "job_name": "backup"}).kind == "Job"  # type: ignore[union-attr]
    assert target_of({"node": "n1"}).scope == "node"  # type: ignore[union-attr]
    assert target_of({"namespace": "a", "job": "prometheus"}) is None  # a scrape job is not a Job
    assert target_of({"instance": "10.0.0.1:9100"}) is None


def test_not_configured_is_a_line_only_when_evidence_is_set_up(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.config import Settings

    assert kubernetes_factory(Settings()) is None
    enricher = kubernetes_factory(Settings(prometheus={"url": "http://127.0.0.1:9"}))  # type: ignore[arg-type]
    assert enricher is not None
    alert = group({"namespace": k8s.NS, "pod": k8s.OOM_POD})
    assert enricher.applies(alert)
    assert "not configured" in enricher.collect(alert).unavailable[0].reason


def test_read_only_by_construction() -> None:
    public = [name for name, _ in inspect.getmembers(ReadOnlyKube, inspect.isfunction) if not name.startswith("_")]
    assert public and all(name.startswith(("read_", "list_")) or name == "close" for name in public)
    source = inspect.getsource(ReadOnlyKube)
    for verb in ("create_", "patch_", "replace_", "delete_", "connect_", "secret"):
        assert verb not in source


def test_rbac_grants_only_read_verbs_and_nothing_on_secrets() -> None:
    docs = list(yaml.safe_load_all((REPO / "deploy" / "kubernetes" / "rbac.yaml").read_text()))
    role = next(d for d in docs if d["kind"] == "ClusterRole")
    resources = {r for rule in role["rules"] for r in rule["resources"]}
    assert {"pods", "pods/log", "events", "nodes", "replicasets", "deployments", "statefulsets", "daemonsets",
            "jobs"} <= resources
    assert "secrets" not in resources and "*" not in resources
    assert {v for rule in role["rules"] for v in rule["verbs"]} <= {"get", "list", "watch"}
    binding = next(d for d in docs if d["kind"] == "ClusterRoleBinding")
    assert binding["roleRef"]["name"] == role["metadata"]["name"]


def test_cluster_settings_validation() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        KubeCluster(in_cluster=True, host="https://k8s:6443")
    with pytest.raises(ValueError, match="exactly one"):
        KubeCluster()
    two = KubernetesSettings(clusters={"a": KubeCluster(in_cluster=True), "b": KubeCluster(context="b")},
                             default_cluster="a")
    assert two.resolve(None) == "a" and two.resolve("b") == "b" and two.resolve("c") is None
    assert KubernetesSettings(clusters={"only": KubeCluster(in_cluster=True)}).resolve(None) == "only"
    with pytest.raises(ValueError, match="default_cluster"):
        KubernetesSettings(clusters={"a": KubeCluster(in_cluster=True)}, default_cluster="zz")


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.config import load_settings

    monkeypatch.delenv("OPSBOT_CONFIG", raising=False)
    monkeypatch.setenv("OPSBOT_KUBERNETES__CLUSTERS", '{"prod": {"host": "https://k8s:6443", "token": "tok-9"}}')
    monkeypatch.setenv("OPSBOT_KUBERNETES__LOG_TAIL_LINES", "20")
    monkeypatch.setenv("OPSBOT_PROMETHEUS__URL", "http://prometheus:9090")
    monkeypatch.setenv("OPSBOT_OPENSEARCH__URL", "https://opensearch:9200")
    monkeypatch.setenv("OPSBOT_OPENSEARCH__FIELDS__NAMESPACE", "k8s.ns")
    settings = load_settings()
    assert settings.kubernetes.clusters["prod"].host == "https://k8s:6443"
    assert settings.kubernetes.log_tail_lines == 20
    assert settings.prometheus.enabled and settings.opensearch.fields.namespace == "k8s.ns"
    assert "tok-9" not in repr(settings.kubernetes.clusters["prod"].token)
