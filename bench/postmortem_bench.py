"""Post-mortem summaries over the real post-mortems in ../shared/corpus/postmortems.

For every document: which canonical sections its headings name, and whether the summary fills each
of them (prose non-empty, at least one timeline entry, at least one action item or lesson). A
section the document names but the summary leaves empty is a failure. Also counts action items
with an owner and the time per document.

Usage: .venv/bin/python -m bench.postmortem_bench [--corpus ../shared/corpus]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from handlers.postmortem import PostmortemSummary, summarize

ROOT = Path(__file__).resolve().parent.parent
SKIP = {"README.md", "LICENSE", "LICENSE.markdown"}


def filled(summary: PostmortemSummary, section: str) -> bool:
    value = getattr(summary, section)
    return bool(value.strip()) if isinstance(value, str) else bool(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = parser.parse_args()
    files = sorted(p for p in (args.corpus / "postmortems").rglob("*") if p.is_file() and p.name not in SKIP)
    named: Counter[str] = Counter()
    empty: list[str] = []
    owners = items = 0
    took: list[float] = []
    for path in files:
        started = time.perf_counter()
        summary = summarize(path.read_text(errors="replace"), source=path.name)
        took.append(time.perf_counter() - started)
        named.update(summary.sections)
        empty += [f"{path.name}: {s}" for s in summary.sections if not filled(summary, s)]
        items += len(summary.action_items)
        owners += sum(1 for a in summary.action_items if a.owner)
    total = sum(named.values())
    print(f"{len(files)} post-mortems; sections named by their headings: {total} "
          f"({', '.join(f'{k} {v}' for k, v in named.most_common())})")
    print(f"sections filled in the summary: {total - len(empty)}/{total}")
    for line in empty:
        print(f"  empty: {line}")
    print(f"action items: {items}, with an owner: {owners}")
    print(f"time per document: mean {sum(took) / len(took) * 1000:.1f} ms, max {max(took) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
