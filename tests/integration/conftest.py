"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fakes.slack_api import FakeSlack


@pytest.fixture(scope="module")
def fake_slack() -> Iterator[FakeSlack]:
    """A wire-format fake of the Slack Web API, one per module."""
    with FakeSlack().run_in_thread() as fake:
        yield fake
