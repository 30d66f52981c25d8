"""Recorded pages of definition platforms parsed as the generic spider would, as per-field JSON data."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from harvester.definition import Definition, definition_of, find_spec
from harvester.extract.errors import NotPublic
from harvester.extract.snapshot import Snapshot
from harvester.registry import Board
from spiders.generic.listing import ListPage, parse_list
from spiders.generic.message import LetterContext, expectation, read_letter

PAGES = ("list", "detail")


@lru_cache(maxsize=64)
def _definition(slug: str) -> Definition:
    return definition_of(find_spec(slug))


def _error(reason: str) -> dict[str, str]:
    return {"error": "LayoutChanged", "reason": reason}


def list_expectation(listing: ListPage, definition: Definition) -> dict[str, Any]:
    """Row count, non-public count, whether more pages follow, and one column per row field (public rows)."""
    public = listing.public
    data: dict[str, Any] = {"rows": len(listing.rows), "not_public": len(listing.rows) - len(public),
                            "more": listing.more}
    for name in definition.list.fields:
        data[name] = [_error(row.errors[name]) if name in row.errors else row.values.get(name) for row in public]
    for name, reason in listing.errors.items():
        data["rows" if name == "rows" else "more"] = _error(reason)
    return data


def parse(page: str, snapshot: Snapshot, context: dict[str, Any],
          definition: Definition | None = None) -> dict[str, Any]:
    """`list`: a list page's columns; `detail`: the letter as stored, or {"error": "NotPublic", …}."""
    definition = definition or _definition(context["platform"])
    if page == "list":
        return list_expectation(parse_list(snapshot, definition, int(context.get("page", 1))), definition)
    if page != "detail":
        raise KeyError(f"no generic page object {page!r}; known {PAGES}")
    letter_context = LetterContext(context["platform"], Board(**context["board"]), context["external_id"],
                                   context["url"])
    try:
        letter = read_letter(snapshot, definition, context.get("row", {}))
    except NotPublic as refusal:
        return {"error": "NotPublic", "reason": refusal.reason}
    return expectation(letter, letter_context, snapshot)
