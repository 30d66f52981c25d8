"""The layers hold: the core never imports the app, spiders, adapters or sinks; nothing imports the app but the app;
replicas import nothing of ours; no import cycles. Every import counts, also those inside functions and under
TYPE_CHECKING: a lazy import is still a dependency."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = ("harvester", "spiders", "adapters", "sinks", "replicas")
# The layers, lowest first: a module may import its own layer and the ones below, never one above.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("harvester",),  # the core: schema, vocab, time, store, definitions, registry, extraction, pipelines
    ("spiders", "adapters", "sinks"),  # crawling, fetch and reply adapters, store backends and exports
    ("harvester.app",),  # CLI, operate, demo, serve (API), monitors, replies, alerts
)
EDGES = {"harvester.__main__"}  # `python -m harvester`: the entry point, which starts the app
# Same layer, one direction only: spiders may use adapters (the browser) and sinks; neither uses spiders.
FORBIDDEN_WITHIN = {"adapters": ("spiders", "sinks"), "sinks": ("spiders", "adapters")}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def our_modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for top in OURS:
        for path in (ROOT / top).rglob("*.py"):
            if "migrations" not in path.parts:
                found[module_name(path)] = path
    return found


def imports_of(path: Path, known: Iterable[str]) -> set[str]:
    """The modules of ours `path` imports (`from a import b` is module a.b when that is a module, else a)."""
    names = set(known)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                found.add(f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in names else node.module)
    return {name for name in found if name in names}


def import_graph() -> dict[str, set[str]]:
    modules = our_modules()
    return {name: imports_of(path, modules) for name, path in modules.items()}


def layer_of(module: str) -> tuple[int, str]:
    best = (-1, "")
    for level, tops in enumerate(LAYERS):
        for top in tops:
            if (module == top or module.startswith(top + ".")) and len(top) > len(best[1]):
                best = (level, top)
    return best


def layer_violations(graph: Mapping[str, set[str]]) -> list[str]:
    problems = []
    for module, targets in sorted(graph.items()):
        if module in EDGES:
            continue
        for target in sorted(targets):
            if module.split(".")[0] == "replicas" or target.split(".")[0] == "replicas":
                if module.split(".")[0] != target.split(".")[0]:
                    problems.append(f"{module} -> {target} (a replica and our code share nothing)")
                continue
            (here, here_top), (there, there_top) = layer_of(module), layer_of(target)
            if there > here:
                problems.append(f"{module} -> {target} ({here_top} sits below {there_top})")
            elif there_top in FORBIDDEN_WITHIN.get(here_top, ()):
                problems.append(f"{module} -> {target} ({here_top} does not use {there_top})")
    return problems


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
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


def test_no_module_imports_a_layer_above_its_own() -> None:
    assert layer_violations(import_graph()) == []


def test_there_are_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_the_walk_sees_lazy_imports_and_names_the_core_and_the_app() -> None:
    graph = import_graph()
    assert "harvester.app.cli.main" in graph and "harvester.store.db" in graph
    # the CLI imports operate inside a function: the walk must count it
    assert "harvester.app.operate" in graph["harvester.app.cli.ops"]


def test_the_gates_fail_on_a_core_module_importing_the_app_or_a_spider() -> None:
    graph = {"harvester.store.db": {"harvester.app.cli.main", "spiders.base"}, "harvester.app.cli.main": set(),
             "spiders.base": {"harvester.store.db"}}
    assert layer_violations(graph) == [
        "harvester.store.db -> harvester.app.cli.main (harvester sits below harvester.app)",
        "harvester.store.db -> spiders.base (harvester sits below spiders)"]
    assert layer_violations({"adapters.browser": {"spiders.base"}, "sinks.export": {"harvester.app.demo"},
                             "replicas.jact.app": {"harvester.vocab"}}) == [
        "adapters.browser -> spiders.base (adapters does not use spiders)",
        "replicas.jact.app -> harvester.vocab (a replica and our code share nothing)",
        "sinks.export -> harvester.app.demo (sinks sits below harvester.app)"]


def test_the_cycle_gate_finds_a_cycle_through_three_modules() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
