"""The alert expression's graph from a real Prometheus (Debian package) scraping a small exporter: the
PNG decodes, shows the series, and stays within the size budget; Prometheus down -> a reason, no PNG."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis as redis_lib
from PIL import Image
from rich.console import Console

from bot.incidents import IncidentStore
from bot.tasks import _attach_images
from core.cards import Card, CardKind, CardStatus
from handlers.enrichers.evidence import PrometheusEnricher
from handlers.triage import enriched_card
from integrations.chat import PostRef, RedactingChannel
from integrations.console import ConsoleChannel
from integrations.images import png_bytes
from integrations.mattermost import MattermostChannel
from integrations.prometheus.graph import GRAPH_MAX_BYTES, expression_graph, series_labels, threshold_of
from integrations.slack import SlackChannel
from integrations.webchat.render import card_body
from tests.support.fakes import mattermost_api, slack_api
from tests.support.fakes.mattermost_api import FakeMattermost
from tests.support.fakes.pod_exporter import MiB, PodExporter, scrape_config
from tests.support.fakes.slack_api import FakeSlack
from tests.support.prometheus_alerts import POD, alert_group, settings
from tests.support.servers import Proc, free_port, http_json, prometheus_server, wait_until

EXPR = 'container_memory_working_set_bytes{namespace="shop"} > 200000000'


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proc]:
    with PodExporter("shop", POD, start_bytes=236 * MiB, step_bytes=2 * MiB).run_in_thread() as exporter, \
            prometheus_server(tmp_path_factory.mktemp("prom-graph"), scrape_config(exporter.base_url)) as prom:
        wait_until(lambda: exporter.scrapes >= 3 and bool(http_json(
            f"{prom.url}/api/v1/query?query=container_memory_working_set_bytes")["data"]["result"]),
            timeout=30, what="three scrapes")
        yield prom


def test_graph_of_a_real_series_decodes_within_budget(prometheus: Proc) -> None:
    graph = expression_graph(settings(prometheus.url), EXPR, starts_at=datetime.now(UTC) - timedelta(seconds=5))
    assert graph.error is None and graph.png is not None and graph.series >= 1
    assert len(graph.png) <= GRAPH_MAX_BYTES
    image = Image.open(io.BytesIO(graph.png))
    image.verify()
    assert image.format == "PNG" and image.size == (512, 208)


def test_prometheus_unreachable_is_a_reason_not_a_png() -> None:
    graph = expression_graph(settings(f"http://127.0.0.1:{free_port()}", timeout_s=1), EXPR)
    assert graph.png is None and graph.error and graph.error.startswith("Prometheus unavailable")


def test_threshold_and_labels_that_differ() -> None:
    assert threshold_of("rate(x[5m]) > 0.9") == 0.9 and threshold_of("up == 0") == 0.0 and threshold_of("up") is None
    assert series_labels([{"__name__": "m", "pod": "a", "ns": "x"}, {"__name__": "m", "pod": "b", "ns": "x"}]) == \
        ["pod=a", "pod=b"]


def test_the_enricher_puts_the_graph_on_the_card_for_the_web_and_the_console(prometheus: Proc, tmp_path: Path) -> None:
    enrichment = PrometheusEnricher(settings(prometheus.url)).collect(alert_group({"namespace": "shop", "pod": POD},
                                                                                  expr=EXPR))
    (image,) = enrichment.images
    png = png_bytes(image.url)
    assert png is not None and len(png) <= GRAPH_MAX_BYTES and EXPR in image.title
    card = enriched_card(Card(kind=CardKind.triage, status=CardStatus.firing, title="t"), enrichment)
    assert f'src="{image.url}"' in card_body(card)  # the web channel: inline
    output = io.StringIO()
    ConsoleChannel(tmp_path / "cards.jsonl", console=Console(file=output, width=200)).post("oncall", card)
    (saved,) = (tmp_path / "graphs").glob("*.png")
    assert saved.read_bytes() == png and str(saved) in output.getvalue()  # the console: a file, its path printed
    assert "base64" not in (tmp_path / "cards.jsonl").read_text()


@pytest.fixture(scope="module")
def graph_card(prometheus: Proc) -> Card:
    enrichment = PrometheusEnricher(settings(prometheus.url)).collect(alert_group({"namespace": "shop", "pod": POD},
                                                                                  expr=EXPR))
    return enriched_card(Card(kind=CardKind.triage, status=CardStatus.firing, title="GraphProbe"), enrichment)


def _deliver_images(client: redis_lib.Redis, chat: RedactingChannel, ref: PostRef, card: Card) -> None:
    """What deliver_card does after posting: the card's graphs not yet in this channel's thread."""
    runtime = SimpleNamespace(store=IncidentStore(client))
    for _ in range(2):  # a later update of the same card attaches nothing again
        _attach_images(runtime, chat, ref, card, "graph-incident", f"{chat.platform}:oncall")  # type: ignore[arg-type]


def test_the_graph_is_uploaded_into_the_slack_thread(graph_card: Card, fake_slack: FakeSlack,
                                                     clean_redis: redis_lib.Redis) -> None:
    chat = RedactingChannel(SlackChannel(token=slack_api.BOT_TOKEN, base_url=fake_slack.api_url))
    ref = chat.post("oncall", graph_card)
    _deliver_images(clean_redis, chat, ref, graph_card)
    (uploaded,) = [f for f in fake_slack.files.values() if f["thread_ts"] == ref.post_id]
    assert uploaded["channel"] == ref.channel and EXPR.split("{")[0] in uploaded["title"]
    assert Image.open(io.BytesIO(uploaded["data"])).format == "PNG"


def test_the_graph_is_a_mattermost_file_on_a_thread_reply(graph_card: Card, clean_redis: redis_lib.Redis) -> None:
    with FakeMattermost(team="ops", channels=("oncall",)).run_in_thread() as fake:
        chat = RedactingChannel(MattermostChannel(url=fake.base_url, token=mattermost_api.BOT_TOKEN, team="ops"))
        ref = chat.post("oncall", graph_card)
        _deliver_images(clean_redis, chat, ref, graph_card)
        (reply,) = [p for p in fake.created if p["root_id"] == ref.post_id]
        (file_id,) = reply["file_ids"]
        assert fake.files[file_id]["mime_type"] == "image/png"
        assert Image.open(io.BytesIO(fake.files[file_id]["data"])).format == "PNG"
