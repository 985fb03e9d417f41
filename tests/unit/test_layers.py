"""The import rules of ARCHITECTURE.md: imports only point down, and no two modules import each other.

  core          imports nothing of the project
  integrations  core and integrations          knowledge  core and knowledge
  handlers      core, integrations, knowledge, prompts, handlers
  bot           anything; only bot, bench and tests import bot

Every import counts, also one inside a function or under TYPE_CHECKING: a lazy import is still a
dependency. An ast walk rather than import-linter, because the rules include "no cycle between any
two modules", which import-linter's contracts do not express; the checker is tried on a synthetic
tree with a deliberate violation and a deliberate cycle below, so it cannot pass by finding nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "integrations", "knowledge", "handlers", "bot", "prompts")
ALLOWED: dict[str, set[str]] = {
    "core": {"core"},
    "integrations": {"core", "integrations"},
    "knowledge": {"core", "knowledge"},
    "prompts": {"prompts"},
    "handlers": {"core", "integrations", "knowledge", "prompts", "handlers"},
    "bot": set(PACKAGES),
}


def module_files(root: Path) -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `path` imports, wherever in the file the import statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:  # `from pkg import submodule` imports the submodule
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
    return {name for name in found if name.split(".")[0] in PACKAGES}


def graph(root: Path) -> dict[str, set[str]]:
    modules = module_files(root)
    return {name: imports_of(path, modules) - {name} for name, path in modules.items()}


def layer_violations(edges: dict[str, set[str]]) -> list[str]:
    return [f"{module} imports {target}" for module, targets in sorted(edges.items()) for target in sorted(targets)
            if target.split(".")[0] not in ALLOWED[module.split(".")[0]]]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next((c for c in children if c in edges), None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_imports_point_down() -> None:
    assert layer_violations(graph(ROOT)) == []


def test_no_module_imports_itself_through_others() -> None:
    assert cycles(graph(ROOT)) == []


def test_only_bot_bench_and_tests_import_bot() -> None:
    importers = [m for m, targets in graph(ROOT).items() if any(t.split(".")[0] == "bot" for t in targets)]
    assert all(m.startswith("bot") for m in importers)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_checker_finds_a_deliberate_violation_and_a_deliberate_cycle(tmp_path: Path) -> None:
    _write(tmp_path, {
        "core/__init__.py": "",
        "core/cards.py": "def f():\n    from bot.config import Settings\n",  # lazy, still counted
        "bot/__init__.py": "",
        "bot/config.py": "from core.cards import f\n",
        "handlers/__init__.py": "",
        "handlers/a.py": "from handlers import b\n",
        "handlers/b.py": "import handlers.a\n",
    })
    edges = graph(tmp_path)
    assert layer_violations(edges) == ["core.cards imports bot.config"]
    assert sorted(cycles(edges)) == [["bot.config", "core.cards"], ["handlers.a", "handlers.b"]]
