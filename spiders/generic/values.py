"""Reading a definition's rules against a page: selectors, JSON paths, labels, regexes. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from parsel import Selector

from harvester.definition.rules import Rule, exists_parts
from harvester.extract.text import fragment_text

_JSON_STEP = re.compile(r"([^.\[\]]+)((?:\[\d+\])*)")
Cell = Selector | str  # a label's value: an element, or the text after a separator


class Missing(Exception):
    """A strict rule found nothing; `reason` says what was looked for."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Scope:
    """What a rule may read: an HTML/XML node, JSON data, the page's text, its label table, and its URL."""

    url: str
    text: str = ""
    node: Selector | None = None
    data: Any = None
    labels: Mapping[str, Cell] | None = None


def json_path(data: Any, path: str) -> Any:
    """`a.b[0].c` in decoded JSON; None when any step is missing."""
    current = data
    for name, indexes in _JSON_STEP.findall(path.removeprefix("$.")):
        current = current.get(name) if isinstance(current, dict) else None
        for index in re.findall(r"\d+", indexes):
            current = current[int(index)] if isinstance(current, list) and int(index) < len(current) else None
    return current


def node_text(node: Cell, block: bool = False) -> str:
    """Text of a match: one line (whitespace joined) or paragraphs (one line per <p>/<br>)."""
    if isinstance(node, str):
        return node.strip()
    if isinstance(node.root, str):  # a text node or an attribute selected by XPath
        return node.root.strip()
    if block:
        return fragment_text(node.get())
    return " ".join(t.strip() for t in node.xpath(".//text()").getall() if t.strip())


def select(source: str, query: str, scope: Scope) -> list[Any]:
    """Raw matches of a selector, JSON path, label or regex (no cleaning)."""
    if source in ("css", "xpath"):
        if scope.node is None:
            return []
        return list(scope.node.css(query) if source == "css" else scope.node.xpath(query))
    if source == "id":  # by attribute, so ids CSS cannot spell unescaped (ASP.NET `$`, `:`) still work
        return [] if scope.node is None else list(scope.node.xpath("descendant-or-self::*[@id=$id]", id=query))
    if source == "json":
        found = json_path(scope.data, query)
        if found is None:
            return []
        return list(found) if isinstance(found, list) else [found]
    if source == "label":
        cell = (scope.labels or {}).get(query)
        return [] if cell is None else [cell]
    if source == "regex":
        return [m.group(1) if m.groups() else m.group(0) for m in re.finditer(query, scope.text)]
    raise ValueError(f"{source} rules select nothing")


def _value(rule: Rule, match: Any, block: bool) -> str | None:
    if rule.attr is not None:
        text = match.attrib.get(rule.attr) if isinstance(match, Selector) else None
    elif isinstance(match, Selector | str):
        text = node_text(match, block)
    else:
        text = "" if match is None else str(match)
    if text is not None and rule.regex is not None:
        found = rule.regex.search(text)
        text = (found.group(1) if found.groups() else found.group(0)) if found else None
    return text.strip() if text is not None else None


def read_all(rule: Rule, scope: Scope, block: bool = False) -> list[str]:
    """Every non-empty value the rule reads (for `all` rules such as attachments)."""
    values = (_value(rule, match, block) for match in select(rule.source, rule.query, scope))
    return [v for v in values if v and v not in rule.absent]


def read(rule: Rule, scope: Scope, block: bool = False) -> str | None:
    """The rule's value; None when optional and absent (or shown as one of `absent`); Missing otherwise."""
    if rule.source == "const":
        return rule.query
    if rule.source == "exists":
        source, query = exists_parts(rule)
        return (rule.yes if select(source, query, scope) else rule.no) or None
    matches = select(rule.source, rule.query, scope)
    if not matches:
        if rule.source == "label":
            seen = ", ".join(scope.labels or {}) or "none"
            return _missing(rule, f"label {rule.query!r} not found (labels seen: {seen})")
        return _missing(rule, f"{rule.describe()} matched nothing")
    if isinstance(matches[0], dict | list):  # JSON of the wrong type: an object or array where a value belongs
        raise Missing(f"{rule.describe()} is a JSON {'object' if isinstance(matches[0], dict) else 'array'}, "
                      "not a value")
    value = _value(rule, matches[0], block)
    if value in rule.absent:
        return None
    if not value:
        what = "did not match" if rule.regex is not None and value is None else "matched an empty value"
        return _missing(rule, f"{rule.describe()} {what}")
    return value


def _missing(rule: Rule, reason: str) -> str | None:
    """None for an optional rule; Missing otherwise."""
    if rule.optional:
        return None
    raise Missing(reason)


def matched(rule: Rule | None, scope: Scope) -> bool:
    """Whether a marker rule (not public, next page) finds anything."""
    if rule is None:
        return False
    if rule.source == "exists":
        return bool(select(*exists_parts(rule), scope))
    return bool(select(rule.source, rule.query, scope))
