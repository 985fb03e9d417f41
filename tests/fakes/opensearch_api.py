"""A fake OpenSearch answering `GET /` and `_search` with hits and a terms aggregation, as documented.

Documents are held in memory (Fluent Bit's nested `kubernetes.*` layout) and the query DSL subset
opsbot sends is evaluated for real (bool.filter with range/term/terms/match, sort, size, terms
aggregation); any other clause is answered 400 like a parse error, so drift shows up in tests.
`latency_s` (a range) and `delay_s` add latency to every answer.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from aiohttp import web

from tests.fakes.kubernetes_api import delay
from tests.fakes.server import BODY, FakeServer, json_response

JsonObj = dict[str, Any]


class QueryError(ValueError):
    pass


def field(doc: JsonObj, dotted: str) -> Any:
    value: Any = doc
    for part in dotted.removesuffix(".keyword").split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _time(value: Any) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def matches(doc: JsonObj, clause: JsonObj) -> bool:
    (kind, spec), = clause.items()
    if kind == "range":
        (name, bounds), = spec.items()
        value = _time(field(doc, name))
        return all((op != "gte" or value >= _time(bound)) and (op != "lte" or value <= _time(bound))
                   for op, bound in bounds.items())
    if kind == "term":
        (name, value), = spec.items()
        return bool(field(doc, name) == value)
    if kind == "terms":
        (name, values), = spec.items()
        return field(doc, name) in values
    if kind == "match":
        (name, options), = spec.items()
        words = str(options["query"] if isinstance(options, dict) else options).lower().split()
        return all(w in str(field(doc, name) or "").lower() for w in words)
    raise QueryError(f"unsupported query clause [{kind}]")


class FakeOpenSearch(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.documents: list[JsonObj] = []
        self.delay_s = 0.0
        self.latency_s = (0.0, 0.0)

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/", self._info)
        app.router.add_route("*", "/{index}/_search", self._search)

    async def _info(self, request: web.Request) -> web.Response:
        return json_response({"name": "fake-node", "cluster_name": "fake", "version": {
            "distribution": "opensearch", "number": "2.15.0", "lucene_version": "9.10.0"},
            "tagline": "The OpenSearch Project"})

    async def _search(self, request: web.Request) -> web.Response:
        await delay(self)
        body = request[BODY] or {}
        try:
            return json_response(self.search(request.match_info["index"], body))
        except (QueryError, KeyError, ValueError) as exc:
            return json_response({"error": {"type": "parsing_exception", "reason": str(exc)}, "status": 400}, 400)

    def search(self, index: str, body: JsonObj) -> JsonObj:
        unknown = set(body) - {"size", "sort", "_source", "query", "aggs", "track_total_hits"}
        if unknown:
            raise QueryError(f"unknown key(s) {sorted(unknown)} in the search body")
        filters = body.get("query", {}).get("bool", {}).get("filter", [])
        found = [d for d in self.documents if all(matches(d, c) for c in filters)]
        for sort in reversed(body.get("sort", [])):
            (name, order), = sort.items()
            found.sort(key=lambda d, n=name: str(field(d, n)), reverse=order.get("order") == "desc")
        hits = [{"_index": index.replace("*", "2026.11.22"), "_id": str(i), "_score": None, "_source": d}
                for i, d in enumerate(found[: body.get("size", 10)])]
        answer: JsonObj = {"took": 3, "timed_out": False,
                           "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
                           "hits": {"total": {"value": len(found), "relation": "eq"}, "max_score": None, "hits": hits}}
        aggs = body.get("aggs") or {}
        if aggs:
            answer["aggregations"] = {}
            for name, agg in aggs.items():
                terms = agg["terms"]
                counts = Counter(str(field(d, terms["field"])) for d in found)
                top = counts.most_common(terms.get("size", 10))
                answer["aggregations"][name] = {
                    "doc_count_error_upper_bound": 0, "sum_other_doc_count": len(found) - sum(n for _, n in top),
                    "buckets": [{"key": key, "doc_count": n} for key, n in top]}
        return answer


def log_doc(at: datetime, namespace: str, pod: str, message: str, *, level: str = "error", app: str = "",
            container: str = "app") -> JsonObj:
    """A log record as Fluent Bit's kubernetes filter ships it."""
    return {"@timestamp": at.isoformat().replace("+00:00", "Z"), "level": level, "message": message,
            "stream": "stderr", "kubernetes": {"namespace_name": namespace, "pod_name": pod,
                                               "container_name": container, "labels": {"app": app}}}
