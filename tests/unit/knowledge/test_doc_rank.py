"""The runbook whose subject the question names beats one with a section that mentions it."""

from __future__ import annotations

from knowledge.doc_rank import profile_coverage, profile_scores, rank_documents, section_coverage
from knowledge.query_terms import word_groups
from knowledge.retrieval import SearchResult

HPA = SearchResult(source="kubernetes-hpa.md", title="Kubernetes autoscaler at its limit or not scaling",
                   section="Fixes", score=0.032, text="Raise maxReplicas.", doc_type="runbook",
                   terms="KubeHpaMaxedOut KubeHpaReplicasMismatch HPAAtMax kubernetes "
                         "Автоскейлер HPA упёрся в максимум horizontal pod autoscaler hpa maxed out")
WORKLOAD = SearchResult(source="kubernetes-workload.md", title="Kubernetes workload not ready",
                        section="HPAAtMax: the autoscaler is at its maximum", score=0.033,
                        text="The HPA is at maxReplicas.", doc_type="runbook",
                        terms="KubePodNotReady KubeContainerWaiting ImagePullBackOff Unschedulable ProbeFailing "
                              "PVCPending DNSFailure Evicted HPAAtMax QuotaExceeded ReadinessFailing kubernetes "
                              "Рабочая нагрузка не готова pod pending pod not ready container waiting под не готов")
OTHER = SearchResult(source="redis-down.md", title="Redis down or unreachable", section="First checks", score=0.03,
                     text="redis-cli ping", doc_type="runbook", terms="RedisDown redis редис упал")


def test_a_dedicated_runbook_beats_a_section_that_mentions_its_subject() -> None:
    groups = word_groups("an HPA that is stuck at max replicas")
    ranked = rank_documents(groups, [WORKLOAD, HPA, OTHER])
    assert [r.source for r in ranked][:2] == ["kubernetes-hpa.md", "kubernetes-workload.md"]
    hpa, workload, other = profile_scores(groups, [HPA, WORKLOAD, OTHER])
    assert hpa > workload > other == 0


def test_without_profile_evidence_the_retrieval_order_stays() -> None:
    pool = [WORKLOAD, HPA, OTHER]
    assert rank_documents(word_groups("sourdough bread"), pool) == pool
    assert rank_documents([], pool) == pool


def test_the_first_word_naming_a_subject_decides_a_tie() -> None:
    prometheus = SearchResult(source="prometheus.md", title="Prometheus server unhealthy", section="", score=0.03,
                              text="", doc_type="runbook", terms="PrometheusNotConnectedToAlertmanagers prometheus")
    alertmanager = SearchResult(source="alertmanager.md", title="Alertmanager not sending", section="", score=0.03,
                                text="", doc_type="runbook", terms="AlertmanagerFailedToSendAlerts prometheus")
    for question, first in (("prometheus cannot reach alertmanager", "prometheus.md"),
                            ("alertmanager cannot reach prometheus", "alertmanager.md")):
        ranked = rank_documents(word_groups(question), [alertmanager, prometheus])
        assert ranked[0].source == first, question


def test_coverage_of_the_profile_and_of_the_section() -> None:
    groups = word_groups("hpa max")
    assert profile_coverage(groups, HPA) == 1.0
    assert profile_coverage(word_groups("canteen opening time"), HPA) == 0.0
    russian = word_groups("реплики не поднимаются")  # "replica" and "start" through the glossary
    section = SearchResult(source="x.md", title="x", section="Replicas", score=0.0, doc_type="runbook",
                           text="The replicas do not start.")
    assert section_coverage(russian, section) == 1.0
