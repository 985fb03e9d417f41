"""Storm and feedback benchmark.

1. Storms: a real Alertmanager (`group_wait: 0s`) sends N alert groups (50, then 500) to the bot's
   tasks, run in this process (Celery eager, 4 threads like one worker pool) on a real redis-server,
   with a fake OpenAI-compatible LLM (gate off, so every explanation the bot asks for is a call), then
   resolves them all. Measured: posts made, seconds from the trigger's webhook to the digest (and the
   first cards' webhook-to-post for comparison), digest updates, wrap-ups, LLM calls, Redis memory per
   incident (MEMORY USAGE of every opsbot key after the resolve, divided by the incidents).
2. Feedback: the bundled runbooks indexed with the embedded model; for every alert they name, is its
   runbook in the top 3 (hit@3)? Then 10 people vote 👎 on a card of one alert (through the real
   feedback store on Redis), and the same is measured again: the demoted section's rank for that alert
   before / after, and hit@3 of every other alert (`bench.feedback_bench.bundled`; that bench also runs
   the knowledge bench's held-out set as the regression check).

Usage: .venv/bin/python -m bench.storm_bench [--sizes 50 500] [--out bench/results/storm.md] [--skip-feedback]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from bench.feedback_bench import bundled as feedback  # noqa: E402
from bench.feedback_bench import report_bundled  # noqa: E402
from tests.integration.test_storm import storm_alerts  # noqa: E402
from tests.support.fakes.openai_api import FakeOpenAI  # noqa: E402
from tests.support.inprocess_bot import RecordingChannel, inprocess_bot, webhook_into_tasks  # noqa: E402
from tests.support.servers import alertmanager_server, post_alerts, redis_server, wait_until  # noqa: E402


def _digest_posts(chat: RecordingChannel) -> list[Any]:
    return [e for e in chat.of("post") if e.card and e.card.title.startswith("Alert storm")]


def _members(chat: RecordingChannel) -> int:
    digests = _digest_posts(chat)
    card = chat.latest(digests[0].post_id) if digests else None
    return int(card.field("incidents") or 0) if card else 0


def _resolved(chat: RecordingChannel) -> int:
    digests = _digest_posts(chat)
    card = chat.latest(digests[0].post_id) if digests else None
    return int(card.field("resolved") or 0) if card else 0


def storm(size: int, work: Path) -> dict[str, Any]:
    with redis_server(work) as server, FakeOpenAI().run_in_thread() as llm, \
            inprocess_bot(server.url, work / "data", collect_threads=4, llm={"url": llm.api_url, "gate": "off"}) as rt:
        chat = cast(RecordingChannel, rt.channels["console"].inner)  # type: ignore[attr-defined]
        client = redis.Redis.from_url(server.url)
        with webhook_into_tasks() as hook, alertmanager_server(work, hook) as am:
            started = time.time()
            post_alerts(am.url, storm_alerts(size))
            wait_until(lambda: _members(chat) == size, timeout=120, what=f"a digest of {size}")
            fired_s = time.time() - started
            # let evidence and explanations of the first cards finish (those that came in the burst wait
            # storm.llm_settle_s after their arrival before asking)
            time.sleep(rt.settings.storm.llm_settle_s + 1.0)
            post_alerts(am.url, storm_alerts(size, ends=datetime.now(UTC) - timedelta(seconds=1)))
            wait_until(lambda: _resolved(chat) == size, timeout=180, what="every member resolved")
            wait_until(lambda: len(chat.of("reply")) >= 1, timeout=10, what="the wrap-up")
            llm_calls = len(llm.chat_requests())  # over the whole storm, its resolve and wrap-up included
        digests = _digest_posts(chat)
        digest_meta = rt.store.load(_digest_key(client))
        incidents = [k for k in client.scan_iter("opsbot:incident:*") if b":lock" not in k]
        firsts = [e for e in chat.of("post") if e not in digests]
        first_latency = []
        for event in firsts:
            for key in incidents:
                meta = rt.store.load(key.decode().removeprefix("opsbot:incident:"))
                ref = rt.store.post_ref(meta.key, "console:oncall") if meta is not None else None
                if ref is not None and ref.post_id == event.post_id and meta is not None:
                    first_latency.append(event.at - meta.first_received_at)
        memory = sum(int(cast(int, client.memory_usage(k)) or 0) for k in client.scan_iter("opsbot:*"))
        members = len(incidents) - 1  # the digest is an incident of its own
        result = {
            "size": size, "posts": len(chat.of("post")), "digests": len(digests),
            "to_digest_s": digests[0].at - digest_meta.first_received_at if digests and digest_meta else None,
            "first_card_p50_s": statistics.median(first_latency) if first_latency else None,
            "digest_updates": len([e for e in chat.of("update") if digests and e.post_id == digests[0].post_id]),
            "other_updates": len([e for e in chat.of("update") if not digests or e.post_id != digests[0].post_id]),
            "wrap_ups": len(chat.of("reply")), "llm_calls": llm_calls, "all_in_s": fired_s,
            "bytes_per_incident": memory / max(1, members), "incidents": members,
        }
        client.close()
        return result


def _digest_key(client: redis.Redis) -> str:
    keys = [k.decode().removeprefix("opsbot:storm:digest:") for k in client.scan_iter("opsbot:storm:digest:*")]
    return keys[0] if keys else ""


def report(storms: list[dict[str, Any]], fb: dict[str, Any] | None) -> str:
    lines = ["# Storm and feedback benchmark", "", "`.venv/bin/python -m bench.storm_bench`; real Alertmanager "
             "(`group_wait: 0s`) and redis-server, the tasks in one process (4 threads for alerts and chat, 4 for "
             "evidence and explanations), a fake LLM with the gate off, threshold 8 in 60 s.", "",
             "| measure | " + " | ".join(f"{s['size']} groups" for s in storms) + " |",
             "|---|" + "---|" * len(storms)]

    def row(name: str, fmt: Any) -> None:
        lines.append(f"| {name} | " + " | ".join(fmt(s) for s in storms) + " |")

    row("posts made (first cards + digest)", lambda s: f"{s['posts']} ({s['posts'] - s['digests']} + {s['digests']})")
    row("trigger's webhook to the digest posted", lambda s: f"{s['to_digest_s'] * 1000:.0f} ms")
    row("first cards' webhook to post, p50", lambda s: f"{s['first_card_p50_s'] * 1000:.0f} ms")
    row("digest updates (in place)", lambda s: str(s["digest_updates"]))
    row("other card updates (evidence, related lines, resolves of the first cards)",
        lambda s: str(s["other_updates"]))
    row("wrap-ups", lambda s: str(s["wrap_ups"]))
    row("LLM calls", lambda s: str(s["llm_calls"]))
    row("all groups in the digest after", lambda s: f"{s['all_in_s']:.1f} s")
    row("Redis memory per incident (every opsbot key)", lambda s: f"{s['bytes_per_incident'] / 1024:.1f} KiB")
    if fb:
        lines += ["", *report_bundled(fb)]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 500])
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/storm.md")
    parser.add_argument("--skip-feedback", action="store_true")
    args = parser.parse_args()
    storms = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as work:
            storms.append(storm(size, Path(work)))
            print(storms[-1], flush=True)
    fb = None
    if not args.skip_feedback:
        with tempfile.TemporaryDirectory() as work:
            fb = feedback(Path(work))
            print(fb, flush=True)
    text = report(storms, fb)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
