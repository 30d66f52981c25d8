"""Which page object parses which recorded page, per family: the conformance tests' single entry point."""

from __future__ import annotations

from typing import Any

from harvester.definition import Definition
from harvester.extract.errors import LayoutChanged
from harvester.extract.snapshot import Snapshot
from harvester.fixtures import message_expectation, plain
from harvester.pipelines.normalise import normalise_message
from harvester.registry import Board
from spiders.discuz import recorded as discuz_recorded
from spiders.generic import recorded as generic_recorded
from spiders.jact import pages as jact_pages
from spiders.people import recorded as people_recorded


def parse_recorded(family: str, page: str, snapshot: Snapshot, context: dict[str, Any],
                   definition: Definition | None = None) -> dict[str, Any]:
    """Parse a recorded page the way the family's spider and the normalise step would, as JSON data
    (`definition`: a generic platform's, when not the registry's). LayoutChanged propagates."""
    if family == "jact" and page == "list":
        data = plain(jact_pages.parse_list(snapshot))
        if not data["rejected"]:
            del data["rejected"]  # shown only when a row did not read
        return dict(data)
    if family == "jact" and page == "detail":
        board = Board(**context["board"])
        message = jact_pages.parse_detail(snapshot, context["platform"], context["base_url"], board,
                                          context["external_id"])
        return message_expectation(normalise_message(message))
    if family == "discuz":
        return discuz_recorded.parse(page, snapshot, context)
    if family == "generic":
        return generic_recorded.parse(page, snapshot, context, definition)
    if family == "people":
        return people_recorded.parse(page, snapshot, context)
    raise KeyError(f"no page object for family {family!r} page {page!r}")


def recorded_outcome(family: str, page: str, snapshot: Snapshot, context: dict[str, Any],
                     definition: Definition | None = None) -> dict[str, Any]:
    """What a recorded page parses to, or {"error": "LayoutChanged", "reason": …} when it no longer parses:
    what conformance compares with a case's expectation, field by field."""
    try:
        return parse_recorded(family, page, snapshot, context, definition)
    except LayoutChanged as error:
        return {"error": "LayoutChanged", "reason": error.reason}
