"""The web channel in a real headless Chromium (Debian's `chromium` + `chromium-driver`, driven by
selenium; nothing downloads a browser) against the real web and worker processes on real Redis.

One page stays open through the whole module: a webhook's card appears on the board, its resolve
changes the same element in place, Draft post-mortem puts its note in the thread, the command box
runs /ceph with pasted output and /ask, and a hostile alert (`<script>`, `javascript:`) is shown as
text. A screenshot is saved (`OPSBOT_SCREENSHOT` names where; the README's is docs/web-board.png).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib

from tests.support.paths import TEST_DATA
from tests.support.stack import BotStack, bot_stack
from tests.support.webhooks import renamed

webdriver = pytest.importorskip("selenium.webdriver")
if not (shutil.which("chromium") and shutil.which("chromedriver")):
    pytest.skip("needs Debian's chromium and chromium-driver (tests/debian-packages.txt)", allow_module_level=True)

from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

WAIT_S = 30


@pytest.fixture(scope="module")
def stack(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotStack]:
    redis_lib.Redis.from_url(redis_url).flushall()
    env = {"OPSBOT_WEBCHAT__ENABLED": "true", "OPSBOT_KNOWLEDGE__ENABLED": "false",
           "OPSBOT_ROUTING__DEFAULT_CHANNEL": "oncall", "OPSBOT_CONSOLE__ENABLED": "off"}
    with bot_stack(redis_url, tmp_path_factory.mktemp("browser-stack"), env) as running:
        yield running


@pytest.fixture(scope="module")
def browser(stack: BotStack) -> Iterator[WebDriver]:
    os.environ["SE_OFFLINE"] = "true"  # selenium-manager must not look for a browser to download
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or ""
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or ""), options=options)
    try:
        driver.get(f"{stack.web_url}/web")
        _wait(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-live") == "1", "live stream")
        yield driver
    finally:
        driver.quit()


def _wait(driver: WebDriver, check: Any, what: str) -> Any:
    def safe(d: WebDriver) -> Any:
        try:
            return check(d)
        except StaleElementReferenceException:
            return False
    return WebDriverWait(driver, WAIT_S, poll_frequency=0.05, ignored_exceptions=()).until(safe, message=what)


def _card(driver: WebDriver, text: str, kind: str = "triage") -> Any:
    for card in driver.find_elements(By.CSS_SELECTOR, f'article.card[data-kind="{kind}"]'):
        if text in card.text:
            return card
    return None


def _command(driver: WebDriver, text: str) -> None:
    box = driver.find_element(By.CSS_SELECTOR, "#command textarea")
    box.clear()
    driver.execute_script("arguments[0].value = arguments[1];", box, text)  # pasted, newlines and all
    driver.find_element(By.CSS_SELECTOR, "#command button[type=submit]").click()


def test_card_appears_resolves_in_place_and_drafts_a_postmortem(
        stack: BotStack, browser: WebDriver, firing_payload: dict[str, Any]) -> None:
    assert stack.post_webhook(renamed(firing_payload, "BrowserProbe")) == "accepted"
    card = _wait(browser, lambda d: _card(d, "BrowserProbe"), "the firing card")
    element_id = card.get_attribute("id")
    assert card.get_attribute("data-status") == "firing"

    assert stack.post_webhook(renamed(firing_payload, "BrowserProbe", resolved=True)) == "accepted"
    resolved = _wait(browser, lambda d: (c := d.find_element(By.ID, element_id)).get_attribute("data-status")
                     == "resolved" and c, "the same card resolved")
    assert len([c for c in browser.find_elements(By.CSS_SELECTOR, "article.card") if "BrowserProbe" in c.text]) == 1
    _wait(browser, lambda d: "Resolved after" in d.find_element(By.ID, element_id).text, "the wrap-up in the thread")

    resolved = browser.find_element(By.ID, element_id)
    resolved.find_element(By.CSS_SELECTOR, 'button.action[data-action="draft_postmortem"]').click()
    _wait(browser, lambda d: "Post-mortem draft" in d.find_element(By.ID, element_id).text, "the draft note")
    assert list((stack.data_dir / "postmortem-drafts").glob("*.md"))


def test_command_box_runs_ceph_with_pasted_output_and_ask(browser: WebDriver) -> None:
    _command(browser, "/oncall help")
    _wait(browser, lambda d: _card(d, "/ask", "help"), "help, answered at once")
    paste = (TEST_DATA / "ceph" / "health-detail-osd-down.txt").read_text()
    _command(browser, f"/ceph\n{paste}")
    _wait(browser, lambda d: (c := _card(d, "OSD_DOWN", "diagnosis")) and c.get_attribute("data-status") != "working",
          "the Ceph diagnosis")
    _command(browser, "/ask how do I find which OSD is down?")
    _wait(browser, lambda d: _card(d, "how do I find which OSD", "answer"), "the /ask answer")


def test_hostile_alert_renders_as_text(stack: BotStack, browser: WebDriver, firing_payload: dict[str, Any]) -> None:
    hostile = renamed(firing_payload, "HostileProbe")
    script = "<script>window.pwned=1</script><img src=x onerror=window.pwned=2>"
    for notes in (hostile["commonAnnotations"], hostile["alerts"][0]["annotations"]):
        notes["summary"] = f"HostileProbe {script}"
        notes["runbook_url"] = "javascript:window.pwned=3"
    hostile["alerts"][0]["generatorURL"] = "javascript:window.pwned=4"
    assert stack.post_webhook(hostile) == "accepted"
    card = _wait(browser, lambda d: _card(d, "HostileProbe"), "the hostile card")
    assert "<script>window.pwned=1</script>" in card.text  # shown, not run
    assert browser.execute_script("return window.pwned === undefined")
    assert not card.find_elements(By.TAG_NAME, "script") and not card.find_elements(By.TAG_NAME, "img")
    hrefs = [a.get_attribute("href") or "" for a in card.find_elements(By.TAG_NAME, "a")]
    assert not any(href.startswith("javascript:") for href in hrefs)
    assert "javascript" in card.text  # the link is text

    shot = Path(os.environ.get("OPSBOT_SCREENSHOT") or stack.data_dir / "web-board.png")
    browser.set_window_size(1400, 1100)
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
