"""Where things are, independent of where a test module sits in the tree."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
REPO = TESTS.parent
TEST_DATA = TESTS / "data"
