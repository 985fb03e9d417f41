"""OpenSearch evidence without a cluster: when it applies, and the query builder."""

from __future__ import annotations

from handlers.enrichers.evidence import OpenSearchEnricher
from integrations.opensearch.config import LogFields, OpenSearchSettings
from integrations.opensearch.query import LogQuery, build_log_search
from tests.support.opensearch_alerts import POD, STARTS, group


def test_not_applicable_without_a_workload() -> None:
    enricher = OpenSearchEnricher(OpenSearchSettings(url="http://127.0.0.1:9"), client=object())
    assert not enricher.applies(group({"node": "n1"}))
    assert not enricher.applies(group({"namespace": "shop"}))


def test_query_builder_is_a_pure_function_with_configurable_fields() -> None:
    fields = LogFields(timestamp="ts", message="msg", message_keyword="msg.raw", level="severity",
                       namespace="k8s.ns", pod="k8s.pod", container="k8s.container", workload="k8s.app")
    query = LogQuery.around(STARTS, before_s=600, after_s=60, namespace="shop", pod=POD, container="app",
                            levels=["error"], text="heap space", size=7, top_messages=3)
    body = build_log_search(query, fields)
    assert body["size"] == 7 and body["sort"] == [{"ts": {"order": "desc"}}]
    assert body["query"]["bool"]["filter"] == [
        {"range": {"ts": {"gte": "2026-11-22T09:50:00+00:00", "lte": "2026-11-22T10:01:00+00:00",
                          "format": "strict_date_optional_time"}}},
        {"term": {"k8s.ns": "shop"}}, {"term": {"k8s.pod": POD}}, {"term": {"k8s.container": "app"}},
        {"terms": {"severity": ["error"]}}, {"match_phrase": {"msg": "heap space"}},
    ]
    assert body["aggs"] == {"top_messages": {"terms": {"field": "msg.raw", "size": 3}}}
    plain = build_log_search(LogQuery(start=STARTS, end=STARTS, size=1), LogFields())
    assert "aggs" not in plain and len(plain["query"]["bool"]["filter"]) == 1
