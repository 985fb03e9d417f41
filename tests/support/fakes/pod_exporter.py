"""A tiny metrics endpoint that a real Prometheus scrapes: one pod's cAdvisor and kube-state-metrics series.

Memory working set rises towards the limit with every scrape, the CPU is throttled in half of its
CFS periods, and the container has restarted: the series the OOM / throttling analyzers read.
"""

from __future__ import annotations

from aiohttp import web

from tests.support.fakes.server import FakeServer

MiB = 2**20


class PodExporter(FakeServer):
    def __init__(self, namespace: str, pod: str, container: str = "app", *, limit_bytes: int = 256 * MiB,
                 start_bytes: int = 200 * MiB, step_bytes: int = 5 * MiB, restarts: int = 5) -> None:
        super().__init__()
        self.namespace, self.pod, self.container = namespace, pod, container
        self.limit_bytes, self.start_bytes, self.step_bytes = limit_bytes, start_bytes, step_bytes
        self.restarts = restarts
        self.scrapes = 0

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/metrics", self._metrics)

    def memory_now(self) -> int:
        return min(self.start_bytes + self.scrapes * self.step_bytes, self.limit_bytes - MiB)

    async def _metrics(self, request: web.Request) -> web.Response:
        self.scrapes += 1
        labels = f'namespace="{self.namespace}",pod="{self.pod}",container="{self.container}"'
        periods = self.scrapes * 100
        body = "\n".join([
            "# TYPE container_memory_working_set_bytes gauge",
            f"container_memory_working_set_bytes{{{labels}}} {self.memory_now()}",
            "# TYPE kube_pod_container_resource_limits gauge",
            f'kube_pod_container_resource_limits{{{labels},resource="memory",unit="byte"}} {self.limit_bytes}',
            "# TYPE container_cpu_cfs_periods_total counter",
            f"container_cpu_cfs_periods_total{{{labels}}} {periods}",
            "# TYPE container_cpu_cfs_throttled_periods_total counter",
            f"container_cpu_cfs_throttled_periods_total{{{labels}}} {periods // 2}",
            "# TYPE kube_pod_container_status_restarts_total counter",
            f"kube_pod_container_status_restarts_total{{{labels}}} {self.restarts}",
            "",
        ])
        return web.Response(text=body, content_type="text/plain")


def scrape_config(target_url: str, interval: str = "1s") -> str:
    host = target_url.removeprefix("http://")
    return f"""
global:
  scrape_interval: {interval}
  evaluation_interval: {interval}
scrape_configs:
  - job_name: pods
    honor_labels: true
    static_configs:
      - targets: ["{host}"]
"""
