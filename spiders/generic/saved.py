"""How `harvester parse` reads a page saved from a definition platform: its definition's URL templates and id rule
say which page a URL is and which letter and board it belongs to."""

from __future__ import annotations

import re
from typing import Any

from harvester.definition import Definition
from harvester.extract.snapshot import Snapshot
from harvester.registry import PlatformSpec
from spiders.savedpage import SavedPages, base_url_of, board_of

PLACEHOLDER = re.compile(r"\\\{(\w+)\\\}")  # a {name} of a definition's URL template, once re.escape'd


def page_of_url(spec: PlatformSpec, definition: Definition | None, url: str) -> str | None:
    """Which page a URL of this platform is, from the definition's templates."""
    if definition is None:
        return None
    if template_match(definition.list.url, url):
        return "list"
    if detail_id(definition, url) is not None:
        return "detail"
    return None


def template_match(template: str | None, url: str) -> re.Match[str] | None:
    """A URL matched against a definition's template ({page}, {board}, {id} … standing for any value)."""
    if not template:
        return None
    path = template.split("://", 1)[-1].split("/", 1)[-1] if "://" in template else template
    pattern = PLACEHOLDER.sub(lambda m: f"(?P<{m.group(1)}>[^/?&#]*)", re.escape(path))
    return re.search(pattern + r"(?:$|[?&#])", url)


def detail_id(definition: Definition, url: str) -> str | None:
    """A letter's id read from its detail URL: the template's {id}, else what the list's id rule would read
    from the link (its regex, e.g. gdId=([0-9a-f]{32}))."""
    found = template_match(definition.detail.url, url)
    if found and "id" in found.groupdict():
        return found.group("id")
    rule = definition.list.fields.get("id")
    if rule is not None and rule.regex is not None and (match := rule.regex.search(url)):
        return match.group(1) if match.groups() else match.group(0)
    return None


def context(spec: PlatformSpec, definition: Definition | None, page: str, snapshot: Snapshot) -> dict[str, Any]:
    assert definition is not None
    url = snapshot.url
    base = {"platform": spec.slug, "base_url": base_url_of(spec, url)}
    found = template_match(definition.list.url if page == "list" else definition.detail.url, url)
    board = found.groupdict().get("board") if found else None
    if page == "list":
        return {**base, "board": board_of(spec, board), "page": 1}
    return {**base, "board": board_of(spec, board), "external_id": detail_id(definition, url) or "", "url": url,
            "row": {}}


SAVED = SavedPages(kinds={"list": ("list",), "detail": ("detail",), "thread": ("detail",), "api": ("list",)},
                   page_of_url=page_of_url, context=context, definition=True)
