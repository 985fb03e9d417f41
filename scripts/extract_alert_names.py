"""Write knowledge/data/public_alert_names.yaml: the alert names of the public rule sets, names only.

Reads the rule files under ../shared/corpus/alert-rules (never copied into the repository) and,
for the etcd mixin whose rules the corpus does not carry, the alert names its runbooks are named
after. The bundled-runbook test checks every alert a runbook lists against this file.

Usage: .venv/bin/python scripts/extract_alert_names.py [--corpus ../shared/corpus]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "knowledge" / "data" / "public_alert_names.yaml"
RULE_SETS = {  # rule-set name -> rule files below alert-rules/
    "kube-prometheus": "kube-prometheus/*.yaml",
    "ceph-mixin": "ceph/prometheus_alerts.yml",
    "awesome-prometheus-alerts/redis-exporter": "awesome-prometheus-alerts/redis/*.yml",
    "awesome-prometheus-alerts/node-exporter": "awesome-prometheus-alerts/host-and-hardware/*.yml",
    "awesome-prometheus-alerts/kube-state-metrics": "awesome-prometheus-alerts/kubernetes/*.yml",
    "awesome-prometheus-alerts/ceph": "awesome-prometheus-alerts/ceph/*.yml",
    "awesome-prometheus-alerts/opensearch-exporter": "awesome-prometheus-alerts/opensearch/*.yml",
}


def rule_names(file: Path) -> list[str]:
    data = yaml.safe_load(file.read_text())
    groups = data["spec"]["groups"] if "spec" in data else data["groups"]
    return [rule["alert"] for group in groups for rule in group.get("rules", []) if "alert" in rule]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = parser.parse_args()
    rules = args.corpus / "alert-rules"
    sets: dict[str, list[str]] = {}
    for name, pattern in RULE_SETS.items():
        names = [n for file in sorted(rules.glob(pattern)) for n in rule_names(file)]
        sets[name] = sorted(set(names))
    sets["etcd-mixin"] = sorted(p.stem for p in (args.corpus / "runbooks" / "etcd").glob("etcd*.md"))
    header = ("# Alert names of the public rule sets (names only; see scripts/extract_alert_names.py).\n"
              "# Sources: ../shared/corpus/SOURCES.md (kube-prometheus, ceph-mixin, awesome-prometheus-alerts;\n"
              "# etcd-mixin names from the prometheus-operator runbook file names).\n")
    OUT.write_text(header + yaml.safe_dump(sets, sort_keys=True, width=100))
    print(f"{OUT}: {sum(len(v) for v in sets.values())} names in {len(sets)} rule sets")


if __name__ == "__main__":
    main()
