"""Alert triage and /k8s run the same analyzers: a KubePodCrashLooping card, collected live from the fake
API, shows the same findings as /k8s on a real kubectl's output of the same objects (`tests/data/k8s`,
written by `bench/k8s_fixtures.py` from these scenarios)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from handlers.enrichers.evidence import KubernetesEnricher
from handlers.k8s import diagnose_paste
from handlers.triage import enrich, enriched_card, first_card
from integrations.kubernetes.config import KubeCluster, KubernetesSettings
from tests.support.fakes import kubernetes_api as k8s
from tests.support.fakes.kubernetes_api import FakeKubernetes
from tests.support.kubernetes_alerts import group
from tests.support.paths import TEST_DATA

# RecentRollout needs the ReplicaSet's creation time, which `kubectl describe pod` does not print
LIVE_ONLY = {"RecentRollout"}


@pytest.fixture
def fake() -> Iterator[FakeKubernetes]:
    with FakeKubernetes().run_in_thread() as server:
        yield server


@pytest.mark.parametrize(("scenario", "labels", "alert", "fixture"), [
    (k8s.oom_crashloop, {"namespace": k8s.NS, "pod": k8s.OOM_POD}, "KubePodCrashLooping", "oom-crashloop"),
    (k8s.image_pull_failure, {"namespace": k8s.NS, "pod": k8s.PULL_POD}, "KubePodNotReady", "image-pull"),
    (k8s.unschedulable, {"namespace": k8s.NS, "pod": k8s.PENDING_POD}, "KubePodNotReady", "unschedulable"),
    (k8s.node_not_ready, {"node": k8s.BAD_NODE}, "KubeNodeNotReady", "node-not-ready"),
    (k8s.pending_claim, {"namespace": k8s.NS, "pod": k8s.CLAIM_POD}, "KubePodNotReady", "pending-claim"),
])
def test_triage_card_and_pasted_output_have_the_same_findings(
        fake: FakeKubernetes, scenario: Callable[[FakeKubernetes], None], labels: dict[str, str], alert: str,
        fixture: str) -> None:
    scenario(fake)
    settings = KubernetesSettings(clusters={"prod": KubeCluster(host=fake.base_url, token=k8s.TOKEN)})
    firing = group(labels, name=alert)
    card = enriched_card(first_card(firing), enrich(firing, [KubernetesEnricher(settings)], per_source_s=10,
                                                    total_s=10))
    live = {f.code for f in card.findings} - LIVE_ONLY
    pasted = diagnose_paste((TEST_DATA / "k8s" / f"{fixture}.txt").read_text())
    assert live and live == {f.code for f in pasted.findings}
    assert {f.title for f in card.findings if f.code in live} == {f.title for f in pasted.findings}
