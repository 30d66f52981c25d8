"""One value-reading rule of a definition (`"css:h2.title"` or a table) and its syntax checks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cssselect import SelectorError
from lxml import etree
from parsel import Selector

SOURCES = ("css", "xpath", "id", "json", "label", "regex", "exists", "const")
NODE_SOURCES = ("css", "xpath")
MODIFIERS = ("regex", "attr", "optional", "absent", "all", "format", "yes", "no")
_JSON_PATH = re.compile(r"^(\$\.)?[^.\[\]]+(\[\d+\])?(\.[^.\[\]]+(\[\d+\])?)*$")
_PROBE = Selector(text="<html><body><p>probe</p></body></html>")


class RuleError(ValueError):
    """A rule is malformed; the message says what is wrong (the caller adds file, line and field)."""


@dataclass(frozen=True, slots=True)
class Rule:
    """How to read one value.

    `source` says where: a CSS or XPath selector (relative to a list row or the whole detail page), an
    element by its id attribute (`id:CaseDetail_lbl_title`, exact; ASP.NET ids may hold `$`), a JSON
    path, a label of the detail page's label/value table, a regular expression over the page text, whether
    a selector matches at all (`exists`, giving `yes` or `no`), or a constant. `regex` then keeps the first
    group of its first match; `attr` reads an attribute instead of the text; `absent` lists values that mean
    "not shown" (未评价); `every` keeps all matches (attachments); `formats` are strptime formats for dates.
    A rule that finds nothing is an error for its field unless `optional`.
    """

    path: str
    source: str
    query: str
    regex: re.Pattern[str] | None = None
    attr: str | None = None
    optional: bool = False
    absent: tuple[str, ...] = ()
    every: bool = False
    formats: tuple[str, ...] = ()
    yes: str = ""
    no: str = ""

    def describe(self) -> str:
        """The rule as an operator wrote it, for reports."""
        text = f"{self.source}:{self.query}" if self.source != "const" else f"const {self.query!r}"
        if self.attr:
            text += f" @{self.attr}"
        if self.regex is not None:
            text += f" ~ /{self.regex.pattern}/"
        return text


def check_query(source: str, query: str) -> None:
    """Raise RuleError when a selector, JSON path or regular expression cannot be compiled."""
    if not query.strip() and source != "const":
        raise RuleError(f"empty {source} expression")
    try:
        if source == "css":
            _PROBE.css(query)
        elif source == "xpath":
            etree.XPath(query)
        elif source == "regex":
            re.compile(query)
    except (SelectorError, etree.XPathSyntaxError, re.error, ValueError) as error:
        raise RuleError(f"invalid {source} expression {query!r}: {error}") from error
    if source == "id" and (not query or any(c.isspace() for c in query) or query.startswith("#")):
        raise RuleError(f"invalid element id {query!r} (write the id attribute as it is, without # or spaces)")
    if source == "json" and not _JSON_PATH.match(query):
        raise RuleError(f"invalid JSON path {query!r} (write a.b[0].c)")


def _split(text: str) -> tuple[str, str]:
    source, sep, query = text.partition(":")
    if not sep or source not in SOURCES or source in ("exists", "const"):
        raise RuleError(f"{text!r} must start with one of css:, xpath:, id:, json:, label:, regex:")
    return source, query.strip()


def _strings(value: Any, name: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise RuleError(f"{name!r} must be a string or a list of strings, got {value!r}")


def _table(data: dict[str, Any], path: str) -> Rule:
    unknown = sorted(set(data) - set(SOURCES) - set(MODIFIERS))
    if unknown:
        raise RuleError(f"unknown key(s) {unknown}; a rule takes one of {list(SOURCES)} and {list(MODIFIERS)}")
    # `regex` is the source when nothing else is; next to a selector it filters the selector's text.
    sources = [key for key in SOURCES if key in data and key != "regex"] or [k for k in ("regex",) if k in data]
    if len(sources) != 1:
        raise RuleError(f"give exactly one of {list(SOURCES)}, found {sources or 'none'}")
    source = sources[0]
    query = data[source]
    if source == "regex":
        data = {key: value for key, value in data.items() if key != "regex"}
    if not isinstance(query, str):
        raise RuleError(f"{source!r} must be a string, got {query!r}")
    if source == "exists":
        inner, query = _split(query) if query.startswith(("css:", "xpath:", "id:")) else ("css", query)
        check_query(inner, query)
        query = f"{inner}:{query}"
    for flag in ("optional", "all"):
        if flag in data and not isinstance(data[flag], bool):
            raise RuleError(f"{flag!r} must be true or false, got {data[flag]!r}")
    pattern = data.get("regex")
    if pattern is not None and not isinstance(pattern, str):
        raise RuleError(f"'regex' must be a string, got {pattern!r}")
    if source != "exists":
        check_query(source, query)
    if pattern is not None:
        check_query("regex", pattern)
    return Rule(path=path, source=source, query=query, regex=re.compile(pattern) if pattern else None,
                attr=str(data["attr"]) if "attr" in data else None, optional=bool(data.get("optional", False)),
                absent=_strings(data.get("absent", []), "absent"), every=bool(data.get("all", False)),
                formats=_strings(data.get("format", []), "format"), yes=str(data.get("yes", "")),
                no=str(data.get("no", "")))


def parse_rule(value: Any, path: str) -> Rule:
    """A rule from its definition form: `"css:…"`/`"xpath:…"`/`"id:…"`/`"json:…"`/`"label:…"`/`"regex:…"` or a
    table."""
    if isinstance(value, str):
        source, query = _split(value)
        check_query(source, query)
        return Rule(path=path, source=source, query=query)
    if isinstance(value, dict):
        return _table(value, path)
    raise RuleError(f"must be a string like \"css:h2.title\" or a table, got {value!r}")


def exists_parts(rule: Rule) -> tuple[str, str]:
    """(css|xpath, selector) of an `exists` rule."""
    source, _, query = rule.query.partition(":")
    return source, query
