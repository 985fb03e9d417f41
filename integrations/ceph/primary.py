"""Ceph's primary-problem rules (primary.yaml, beside the catalogue), for `core.primary_rules`."""

from __future__ import annotations

from pathlib import Path

import yaml

from core.primary_rules import PrimaryRule, choose_primary

RULES_FILE = Path(__file__).with_name("primary.yaml")


def load_rules(path: Path = RULES_FILE) -> list[PrimaryRule]:
    return [PrimaryRule.model_validate(rule) for rule in yaml.safe_load(path.read_text(encoding="utf-8"))]


RULES = load_rules()

__all__ = ["RULES", "PrimaryRule", "choose_primary", "load_rules"]
