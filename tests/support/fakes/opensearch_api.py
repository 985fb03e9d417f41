"""A fake OpenSearch answering `GET /` and `_search` with hits and a terms aggregation, as documented.

Documents are held in memory (Fluent Bit's nested `kubernetes.*` layout) and the query DSL subset
opsbot sends is evaluated for real (bool.filter with range/term/terms/match, sort, size, terms
aggregation); any other clause is answered 400 like a parse error, so drift shows up in tests.
`latency_s` (a range) and `delay_s` add latency to every answer.
"""

from __future__ import annotations

import ipaddress
import statistics
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.support.fakes.kubernetes_api import delay
from tests.support.fakes.server import BODY, FakeServer, json_response

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


def _in_range(value: Any, bounds: JsonObj) -> bool:
    checks = {"gte": lambda a, b: a >= b, "gt": lambda a, b: a > b, "lte": lambda a, b: a <= b,
              "lt": lambda a, b: a < b}
    if value is None:
        return False
    numeric = all(isinstance(b, int | float) for op, b in bounds.items() if op in checks)
    convert: Any = float if numeric else _time
    return all(checks[op](convert(value), convert(bound)) for op, bound in bounds.items() if op in checks)


def _term_matches(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, str) and "/" in wanted and value is not None:
        try:  # a CIDR term on an ip field
            return ipaddress.ip_address(str(value)) in ipaddress.ip_network(wanted, strict=False)
        except ValueError:
            return False
    return bool(value == wanted or (value is not None and str(value) == str(wanted)))


def matches(doc: JsonObj, clause: JsonObj) -> bool:
    (kind, spec), = clause.items()
    if kind == "bool":
        return (all(matches(doc, c) for c in spec.get("filter", []) + spec.get("must", []))
                and not any(matches(doc, c) for c in spec.get("must_not", [])))
    if kind == "exists":
        return field(doc, spec["field"]) is not None
    (name, value), = spec.items()
    found = field(doc, name)
    if kind == "range":
        return _in_range(found, value)
    if kind == "term":
        return _term_matches(found, value["value"] if isinstance(value, dict) else value)
    if kind == "terms":
        return any(_term_matches(found, v) for v in value)
    if kind == "prefix":
        return str(found or "").startswith(str(value["value"] if isinstance(value, dict) else value))
    if kind in ("match", "match_phrase"):
        query = str(value["query"] if isinstance(value, dict) else value).lower()
        text = str(found or "").lower()
        return query in text if kind == "match_phrase" else all(w in text for w in query.split())
    raise QueryError(f"unsupported query clause [{kind}]")


class FakeOpenSearch(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.documents: list[JsonObj] = []
        self.mappings: dict[str, JsonObj] = {}  # index pattern -> mapping properties (GET <pattern>/_mapping)
        self.invalid_reason = ""  # when set, _validate/query answers valid: false with this error
        self.delay_s = 0.0
        self.latency_s = (0.0, 0.0)

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/", self._info)
        app.router.add_route("*", "/{index}/_search", self._search)
        app.router.add_get("/{index}/_mapping", self._mapping)
        app.router.add_route("*", "/{index}/_validate/query", self._validate)

    async def _mapping(self, request: web.Request) -> web.Response:
        await delay(self)
        pattern = request.match_info["index"]
        if pattern not in self.mappings:
            return json_response({"error": {"type": "index_not_found_exception", "reason": f"no such index [{pattern}]",
                                            "index": pattern}, "status": 404}, 404)
        return json_response({pattern.replace("*", "2026.11.22"): {"mappings": {"properties": self.mappings[pattern]}}})

    async def _validate(self, request: web.Request) -> web.Response:
        """Like OpenSearch: 200 with valid true/false; a clause it cannot parse is invalid with an error."""
        query = (request[BODY] or {}).get("query", {"match_all": {}})
        shards = {"total": 1, "successful": 1, "failed": 0}
        try:
            if self.invalid_reason:
                raise QueryError(self.invalid_reason)
            if query != {"match_all": {}}:
                matches({}, query)
        except (QueryError, KeyError, ValueError, TypeError, AttributeError) as exc:
            return json_response({"_shards": shards, "valid": False, "explanations": [
                {"index": request.match_info["index"], "valid": False, "error": f"[{type(exc).__name__}] {exc}"}]})
        return json_response({"_shards": shards, "valid": True})

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
        query = body.get("query", {"match_all": {}})
        found = [d for d in self.documents if query == {"match_all": {}} or matches(d, query)]
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
                answer["aggregations"][name] = aggregate(agg, found)
        return answer


def aggregate(agg: JsonObj, found: list[JsonObj]) -> JsonObj:
    if "terms" in agg:
        terms = agg["terms"]
        counts = Counter(str(field(d, terms["field"])) for d in found if field(d, terms["field"]) is not None)
        top = counts.most_common(terms.get("size", 10))
        return {"doc_count_error_upper_bound": 0, "sum_other_doc_count": len(found) - sum(n for _, n in top),
                "buckets": [{"key": key, "doc_count": n} for key, n in top]}
    if "date_histogram" in agg:
        spec = agg["date_histogram"]
        seconds = {"m": 60, "h": 3600, "d": 86400}[spec["fixed_interval"][-1]] * int(spec["fixed_interval"][:-1])
        buckets = Counter(int(_time(field(d, spec["field"])).timestamp()) // seconds * seconds for d in found)
        return {"buckets": [{"key_as_string": datetime.fromtimestamp(k, UTC).isoformat().replace("+00:00", "Z"),
                             "key": k * 1000, "doc_count": n} for k, n in sorted(buckets.items())]}
    if "percentiles" in agg:
        spec = agg["percentiles"]
        values = sorted(float(field(d, spec["field"])) for d in found if field(d, spec["field"]) is not None)
        cuts = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else values * 99
        return {"values": {f"{p:.1f}": (cuts[min(98, max(0, round(p) - 1))] if values else None)
                           for p in spec["percents"]}}
    raise QueryError(f"unsupported aggregation {sorted(agg)}")


def log_doc(at: datetime, namespace: str, pod: str, message: str, *, level: str = "error", app: str = "",
            container: str = "app") -> JsonObj:
    """A log record as Fluent Bit's kubernetes filter ships it."""
    return {"@timestamp": at.isoformat().replace("+00:00", "Z"), "level": level, "message": message,
            "stream": "stderr", "kubernetes": {"namespace_name": namespace, "pod_name": pod,
                                               "container_name": container, "labels": {"app": app}}}
