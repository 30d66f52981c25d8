"""Only harvester/store/ touches the database. Every other module of ours (harvester, spiders, adapters, sinks)
goes through the repository (`Store.transaction()`) and the store's query and command modules, which take and
return plain values or frozen dataclasses. Outside the store a module may not:

- read an attribute named `session` (`repo.session`, `ctx.session`, `getattr(x, "session")`): the ORM session
  is the store's own. The one other session allowed is a class's own field that is declared with a type
  other than `Session` (`session: SignedIn`, a console sign-in), read as `self.session` in that class;
- import SQLAlchemy, any part of it (the store re-exports the database errors callers catch: harvester.store.errors);
- import an ORM table class (MessageRow, OutboxRow, …), the declarative base, or a module that defines them.

Every import counts, also one inside a function. There are no exceptions (ALLOWED is empty)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from types import ModuleType

from sqlalchemy.orm import DeclarativeBase

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("harvester", "spiders", "adapters", "sinks")
STORE = "harvester.store"
# module -> reason, for a module outside the store allowed to break the rule. Keep it empty.
ALLOWED: dict[str, str] = {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def outside_the_store() -> dict[str, Path]:
    found = {}
    for top in SCANNED:
        for path in (ROOT / top).rglob("*.py"):
            name = module_name(path)
            if name != STORE and not name.startswith(STORE + "."):
                found[name] = path
    return found


def is_orm_class(value: object) -> bool:
    return isinstance(value, type) and issubclass(value, DeclarativeBase)


def is_orm_module(value: object) -> bool:
    """A module that defines a table class (or the base), or lists one (or such a module) in `__all__`."""
    if not isinstance(value, ModuleType):
        return False
    defined = any(is_orm_class(v) and v.__module__ == value.__name__ for v in vars(value).values())
    listed = [getattr(value, name, None) for name in getattr(value, "__all__", ())]
    return defined or any(is_orm_class(v) or (isinstance(v, ModuleType) and is_orm_module(v)) for v in listed)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[:len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _store_import_problems(target: str, names: list[str]) -> list[str]:
    """What `from target import names` (or `import target` when names is empty) brings in of the ORM."""
    if target != STORE and not target.startswith(STORE + "."):
        return []
    module = importlib.import_module(target)
    if not names:
        return [f"imports {target}, which holds the store's table classes"] if is_orm_module(module) else []
    problems = []
    for name in names:
        value = getattr(module, name, None)
        if value is None:  # a submodule not imported by its package yet
            try:
                value = importlib.import_module(f"{target}.{name}")
            except ModuleNotFoundError:
                continue
        if is_orm_class(value):
            problems.append(f"imports the table class {target}.{name}")
        elif is_orm_module(value):
            problems.append(f"imports {target}.{name}, which holds the store's table classes")
    return problems


def _own_sessions(tree: ast.AST) -> set[int]:
    """ids of the `self.session` nodes inside classes that declare `session` with a type other than Session."""
    allowed: set[int] = set()
    for cls in (node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)):
        declared = [stmt.annotation for stmt in cls.body if isinstance(stmt, ast.AnnAssign)
                    and isinstance(stmt.target, ast.Name) and stmt.target.id == "session"]
        if declared and "Session" not in ast.unparse(declared[0]).replace(".", " ").split():
            allowed |= {id(node) for node in ast.walk(cls) if isinstance(node, ast.Attribute)
                        and node.attr == "session" and isinstance(node.value, ast.Name) and node.value.id == "self"}
    return allowed


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """Every breach of the rule in `source` (the text of `module`), as "line N: what"."""
    problems: list[tuple[int, str]] = []
    tree = ast.parse(source)
    own = _own_sessions(tree)
    for node in ast.walk(tree):
        found: list[str] = []
        if isinstance(node, ast.Attribute) and node.attr == "session" and id(node) not in own:
            found.append("reads `.session`: use a repository method or a store query module")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "hasattr")
              and len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and node.args[1].value == "session"):
            found.append(f"reads `session` through {node.func.id}()")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "sqlalchemy" or alias.name.startswith("sqlalchemy."):
                    found.append(f"imports {alias.name}")
                else:
                    found += _store_import_problems(alias.name, [])
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(node, module, is_package)
            if target == "sqlalchemy" or target.startswith("sqlalchemy."):
                found.append(f"imports from {target}")
            else:
                found += _store_import_problems(target, [alias.name for alias in node.names])
        problems += [(getattr(node, "lineno", 0), what) for what in found]
    return [f"line {line}: {what}" for line, what in sorted(problems)]


def test_no_module_outside_the_store_touches_the_session_sqlalchemy_or_the_table_classes() -> None:
    found = []
    for module, path in sorted(outside_the_store().items()):
        if module in ALLOWED:
            continue
        source = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(ROOT)} {problem}"
                  for problem in violations(source, module, path.name == "__init__.py")]
    assert found == [], "store access outside harvester/store/:\n" + "\n".join(found)


def test_the_walk_sees_every_layer_outside_the_store() -> None:
    modules = outside_the_store()
    assert {"harvester.app.replies.push", "harvester.app.monitors.overdue", "sinks.store_pipeline",
            "spiders.people.guard", "adapters.protocols", "harvester.pipelines.storable"} <= set(modules)
    assert not any(name.startswith(STORE + ".") or name == STORE for name in modules)


BREAKING = '''
import sqlalchemy.orm
from sqlalchemy import select
from harvester.store.models import MessageRow
from harvester.store import models
from harvester.store.outbox.models import OutboxRow
from harvester.store.base import Base
import harvester.store.tables


def stored(store):
    from harvester.store.api_models import ApiTokenRow  # a lazy import counts too
    with store.transaction() as repo:
        rows = repo.session.scalars(select(MessageRow))
        return rows, getattr(repo, "session"), ApiTokenRow, sqlalchemy.orm
'''

CLEAN = '''
from harvester.store.db import Store
from harvester.store.errors import DataError
from harvester.store.monitoring import MonitorReads, RunSummary
from harvester.store.outbox import claims
from harvester.store.outbox.states import State
from harvester.store.repository import Repository
from spiders.people.session import SiteRelease


def stored(store: Store) -> list[RunSummary]:
    with store.transaction() as repo:
        return MonitorReads(repo).finished_runs("jact_demo", 1)
'''


def test_the_gate_names_each_breach_of_a_module_that_reaches_into_the_database() -> None:
    found = violations(BREAKING, "harvester.app.example")
    assert found == [
        "line 2: imports sqlalchemy.orm",
        "line 3: imports from sqlalchemy",
        "line 4: imports the table class harvester.store.models.MessageRow",
        "line 5: imports harvester.store.models, which holds the store's table classes",
        "line 6: imports the table class harvester.store.outbox.models.OutboxRow",
        "line 7: imports the table class harvester.store.base.Base",
        "line 8: imports harvester.store.tables, which holds the store's table classes",
        "line 12: imports the table class harvester.store.api_models.ApiTokenRow",
        "line 14: reads `.session`: use a repository method or a store query module",
        "line 15: reads `session` through getattr()",
    ]


def test_the_gate_lets_a_module_use_the_repository_and_the_query_modules() -> None:
    assert violations(CLEAN, "harvester.app.example") == []


def test_a_class_may_read_its_own_session_field_unless_it_is_an_orm_session() -> None:
    source = """
class Signed:
    session: SignedIn

    def name(self) -> str:
        return self.session.user.name


class Sneaky:
    session: Session

    def rows(self) -> object:
        return self.session.scalars(query)


class Other:
    def rows(self, ctx: object) -> object:
        return ctx.session
"""
    assert violations(source, "harvester.app.example") == [
        "line 13: reads `.session`: use a repository method or a store query module",
        "line 18: reads `.session`: use a repository method or a store query module"]


def test_a_relative_import_is_judged_by_the_module_it_names() -> None:
    source = "from .models import MessageRow\nfrom ..store import db\n"
    assert violations(source, "harvester.store.example") == [
        "line 1: imports the table class harvester.store.models.MessageRow"]
    assert violations("from .. import models\n", "harvester.store.outbox", is_package=True) == [
        "line 1: imports harvester.store.models, which holds the store's table classes"]
