"""No generator in our spiders returns a value: Scrapy would drop it without a word. (Scrapy's own check,
WARN_ON_GENERATOR_RETURN_VALUE, re-parses a callback's source for every request; we check once, here.)"""

from __future__ import annotations

import ast

from tests.harvesting import ROOT

PACKAGES = ("spiders", "adapters", "sinks", "harvester")


def generators_returning_a_value(source: str) -> list[str]:
    """`name:line` of every (async) generator function in `source` with a `return <value>` of its own, unless
    its annotation declares the value (`Generator[Y, S, R]` with R not None: a helper for `yield from`, never a
    callback)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or _declares_a_value(node.returns):
            continue
        own = list(_own_nodes(node))
        if any(isinstance(n, ast.Yield | ast.YieldFrom) for n in own):
            found += [f"{node.name}:{n.lineno}" for n in own
                      if isinstance(n, ast.Return) and n.value is not None
                      and not (isinstance(n.value, ast.Constant) and n.value.value is None)]
    return found


def _declares_a_value(annotation: ast.expr | None) -> bool:
    if not (isinstance(annotation, ast.Subscript) and isinstance(annotation.slice, ast.Tuple)
            and ast.unparse(annotation.value).endswith("Generator") and len(annotation.slice.elts) == 3):
        return False
    sent_back = annotation.slice.elts[2]
    return not (isinstance(sent_back, ast.Constant) and sent_back.value is None)


def _own_nodes(function: ast.AST):  # type: ignore[no-untyped-def]
    """The nodes of `function`'s body, not those of functions or lambdas nested in it."""
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            stack.extend(ast.iter_child_nodes(node))


def test_the_check_finds_a_generator_that_returns_a_value() -> None:
    assert generators_returning_a_value("def parse(r):\n    yield 1\n    return 2\n") == ["parse:3"]
    assert generators_returning_a_value("async def parse(r):\n    if r:\n        return []\n    yield 1\n") == [
        "parse:3"]
    assert generators_returning_a_value("def parse(r):\n    def inner():\n        return 2\n    yield inner\n") == []
    assert generators_returning_a_value("def parse(r):\n    yield 1\n    return\n") == []
    helper = "def rows(r) -> Generator[Any, None, list]:\n    yield 1\n    return []\n"
    assert generators_returning_a_value(helper) == []
    assert generators_returning_a_value(helper.replace("list]", "None]")) == ["rows:3"]


def test_no_generator_of_ours_returns_a_value() -> None:
    found = [f"{path.relative_to(ROOT)} {where}" for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
             for where in generators_returning_a_value(path.read_text(encoding="utf-8"))]
    assert found == [], "generators that return a value (Scrapy drops it):\n" + "\n".join(found)
