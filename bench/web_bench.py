"""Web channel, graphs and the OpenAI-compatible endpoint (`.venv/bin/python -m bench.web_bench`).

Real redis-server, the real `opsbot web` and `opsbot worker` processes, headless Chromium (selenium):
- the board with 200 incidents: first paint (navigation start -> first contentful paint) and the page
  load; then update latency: a resolve posted to the webhook -> the card's status changed in the page
  (timed in the page by a MutationObserver, clocks of one machine);
- graph render time and PNG size (8 series x 240 points, the budget is 300 ms / 100 KB);
- `/v1/chat/completions` time to first byte without an LLM (streamed and not).
Writes bench/results/web.md.
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from integrations.prometheus.graph import render_png
from tests.support.paths import REPO, TEST_DATA
from tests.support.servers import redis_server, wait_until
from tests.support.stack import BotStack, bot_stack
from tests.support.webhooks import renamed

INCIDENTS = 200
UPDATES = 20
KEY = "sk-bench"


def _alert(base: dict[str, Any], i: int, *, resolved: bool = False) -> dict[str, Any]:
    # the name in the title too: other cards name it in their "related" line
    return renamed(base, f"BenchAlert{i:03d}", resolved=resolved, summary=f"BenchAlert{i:03d} on shop")


def _browser() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or ""
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or ""), options=options)


def board(stack: BotStack, base: dict[str, Any]) -> dict[str, Any]:
    for i in range(INCIDENTS):
        stack.post_webhook(_alert(base, i))
    wait_until(lambda: urllib.request.urlopen(f"{stack.web_url}/web").read().count(b'data-kind="triage"')
               >= INCIDENTS, timeout=120, what="200 cards on the board")
    driver = _browser()
    try:
        paints, loads = [], []
        for _ in range(5):
            driver.get(f"{stack.web_url}/web")
            wait_until(lambda: driver.execute_script("return document.body.dataset.live") == "1", timeout=20)
            fcp = driver.execute_script(  # headless Chromium may not report paints: DOMContentLoaded then
                "const p = performance.getEntriesByName('first-contentful-paint')[0];"
                "return p ? p.startTime : performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")
            nav = driver.execute_script("return performance.getEntriesByType('navigation')[0].loadEventEnd")
            paints.append(fcp)
            loads.append(nav)
        html_bytes = len(urllib.request.urlopen(f"{stack.web_url}/web").read())
        driver.execute_script("""
            window.changed = {};
            new MutationObserver((list) => { for (const m of list) for (const n of m.addedNodes)
              if (n.dataset && n.dataset.status === 'resolved' && !(n.id in window.changed))
                window.changed[n.id] = Date.now(); }).observe(document.getElementById('incidents'), {childList: true});
        """)
        latencies = []
        for i in range(UPDATES):
            card_id = driver.execute_script(
                "return [...document.querySelectorAll('article.card')].find(c => c.querySelector('header .title')"
                f".textContent === 'BenchAlert{i:03d} on shop').id")
            sent = time.time() * 1000
            stack.post_webhook(_alert(base, i, resolved=True))
            def changed(cid: str = card_id) -> bool:
                return driver.execute_script(f"return window.changed['{cid}']") is not None

            wait_until(changed, timeout=20, what="resolved in the page")
            latencies.append(driver.execute_script(f"return window.changed['{card_id}']") - sent)
    finally:
        driver.quit()
    return {"fcp_ms": statistics.median(paints), "load_ms": statistics.median(loads), "html_kb": html_bytes / 1024,
            "update_p50_ms": statistics.median(latencies), "update_max_ms": max(latencies)}


def graph() -> dict[str, Any]:
    now = time.time()
    result = [{"metric": {"__name__": "m", "pod": f"api-{s}"},
               "values": [[now - 3600 + 15 * i, str(100 + s * 10 + (i % 30))] for i in range(240)]} for s in range(8)]
    render_png(result, title="warm-up")
    times, sizes = [], []
    for _ in range(10):
        started = time.perf_counter()
        png = render_png(result, title='container_memory_working_set_bytes{namespace="shop"} > 200000000',
                         threshold=200.0)
        times.append((time.perf_counter() - started) * 1000)
        sizes.append(len(png))
    return {"render_p50_ms": statistics.median(times), "render_max_ms": max(times), "png_kb": max(sizes) / 1024}


def ttfb(stack: BotStack) -> dict[str, Any]:
    paste = (TEST_DATA / "ceph" / "health-detail-osd-down.txt").read_text()
    out: dict[str, Any] = {}
    for label, text, stream in (("help, streamed", "/oncall help", True), ("help", "/oncall help", False),
                                ("ceph paste, streamed", paste, True), ("ceph paste", paste, False)):
        firsts, totals = [], []
        for _ in range(10):
            body = json.dumps({"model": "opsbot", "stream": stream, "messages": [{"role": "user", "content": text}]})
            request = urllib.request.Request(f"{stack.web_url}/v1/chat/completions", data=body.encode(),
                                             headers={"Authorization": f"Bearer {KEY}",
                                                      "Content-Type": "application/json"})
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read(1)
                firsts.append((time.perf_counter() - started) * 1000)
                response.read()
                totals.append((time.perf_counter() - started) * 1000)
        out[label] = (statistics.median(firsts), statistics.median(totals))
    return out


def main() -> None:
    base = json.loads((TEST_DATA / "webhook-firing.json").read_text())
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp)) as redis_proc:
        env = {"OPSBOT_WEBCHAT__ENABLED": "true", "OPSBOT_KNOWLEDGE__ENABLED": "false",
               "OPSBOT_CONSOLE__ENABLED": "off", "OPSBOT_OPENAI_API__API_KEYS": json.dumps([KEY]),
               "OPSBOT_STORM__ENABLED": "false"}  # 200 cards of their own, not one digest
        with bot_stack(redis_proc.url, Path(tmp) / "stack", env, worker_args=("--concurrency", "4")) as stack:
            times = ttfb(stack)
            page = board(stack, base)
    drawn = graph()
    lines = ["# Web channel, graphs, OpenAI-compatible endpoint", "",
             "| measure | result | target |", "|---|---|---|",
             f"| board with {INCIDENTS} incidents: first contentful paint (median of 5) | {page['fcp_ms']:.0f} ms | |",
             f"| the same: page loaded (incl. the vendored script) | {page['load_ms']:.0f} ms, "
             f"{page['html_kb']:.0f} KiB HTML | |",
             f"| update latency: resolve webhook -> card changed in the page, p50 / max ({UPDATES}) | "
             f"{page['update_p50_ms']:.0f} / {page['update_max_ms']:.0f} ms | <= 1 s |",
             f"| graph render (8 series x 240 points), p50 / max | {drawn['render_p50_ms']:.0f} / "
             f"{drawn['render_max_ms']:.0f} ms | <= 300 ms |",
             f"| graph PNG size | {drawn['png_kb']:.1f} KiB | <= 100 KB |"]
    lines += [f"| /v1/chat/completions {label}: first byte / whole answer (median of 10, no LLM) | "
              f"{first:.0f} / {total:.0f} ms | |" for label, (first, total) in times.items()]
    text = "\n".join(lines) + "\n"
    (REPO / "bench" / "results" / "web.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
