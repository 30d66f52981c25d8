"""Reading one table of a definition with type checks, unknown-key checks and errors that point at the line."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harvester.definition.errors import DefinitionError, key_line
from harvester.definition.rules import Rule, RuleError, parse_rule

_MISSING = object()
_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "a list",
               dict: "a table"}


@dataclass(frozen=True, slots=True)
class Where:
    """The definition being read: its file name and text (for line numbers)."""

    source: str
    text: str | None

    def error(self, path: list[str], problem: str) -> DefinitionError:
        line = key_line(self.text, path) if self.text else None
        return DefinitionError(self.source, ".".join(path), problem, line)


def _is(value: Any, kind: type) -> bool:
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


class Section:
    """One table of the definition; every key read is remembered so `done()` can reject the rest (typos)."""

    def __init__(self, data: Mapping[str, Any], path: list[str], where: Where) -> None:
        self.data, self.path, self.where = data, path, where
        self.read: set[str] = set()

    def error(self, key: str | None, problem: str) -> DefinitionError:
        return self.where.error(self.path + ([key] if key else []), problem)

    def missing(self, key: str) -> DefinitionError:
        """A required key is absent: point at a likely typo of it if there is one, else at the table."""
        typo = difflib.get_close_matches(key, [k for k in self.data if k != key], n=1, cutoff=0.75)
        if typo:
            return self.error(typo[0], f"unknown field; did you mean {key!r}?")
        return self.error(key, "missing required field")

    def get(self, key: str, kind: type, default: Any = _MISSING) -> Any:
        """The value of `key`, type-checked; a missing key without default is an error."""
        self.read.add(key)
        if key not in self.data:
            if default is _MISSING:
                raise self.missing(key)
            return default
        value = self.data[key]
        if not _is(value, kind):
            raise self.error(key, f"must be {_TYPE_NAMES.get(kind, kind.__name__)}, got {value!r}")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.get(key, str, default)
        if value not in choices:
            raise self.error(key, f"must be one of {list(choices)}, got {value!r}")
        return str(value)

    def table(self, key: str, required: bool = False) -> Section | None:
        if not required and key not in self.data:
            self.read.add(key)
            return None
        return Section(self.get(key, dict), self.path + [key], self.where)

    def rule(self, key: str, required: bool = False) -> Rule | None:
        """A rule under `key` (None when absent and not required)."""
        self.read.add(key)
        if key not in self.data:
            if required:
                raise self.missing(key)
            return None
        try:
            return parse_rule(self.data[key], ".".join(self.path + [key]))
        except RuleError as error:
            raise self.error(key, str(error)) from error

    def rules(self, allowed: tuple[str, ...]) -> dict[str, Rule]:
        """Every key of this table as a rule; keys outside `allowed` are errors."""
        found: dict[str, Rule] = {}
        for key in self.data:
            if key not in allowed:
                raise self.error(key, f"unknown field; fields here are {list(allowed)}")
            rule = self.rule(key, required=True)
            assert rule is not None
            found[key] = rule
        return found

    def done(self) -> None:
        """Reject keys nobody read: they are typos or options of another version."""
        for key in self.data:
            if key not in self.read:
                known = sorted(self.read)
                raise self.error(key, f"unknown field; known here: {known}")
