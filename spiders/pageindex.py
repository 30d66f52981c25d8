"""Which page object parses which recorded page, per family: the conformance tests' single entry point."""

from __future__ import annotations

from typing import Any

from harvester.extract.snapshot import Snapshot
from harvester.fixtures import message_expectation, plain
from harvester.pipelines.normalise import normalise_message
from harvester.registry import Board
from spiders.discuz import recorded as discuz_recorded
from spiders.generic import recorded as generic_recorded
from spiders.jact import pages as jact_pages
from spiders.people import recorded as people_recorded


def parse_recorded(family: str, page: str, snapshot: Snapshot, context: dict[str, Any]) -> dict[str, Any]:
    """Parse a recorded page the way the family's spider and the normalise step would, as JSON data."""
    if family == "jact" and page == "list":
        return plain(jact_pages.parse_list(snapshot))
    if family == "jact" and page == "detail":
        board = Board(**context["board"])
        message = jact_pages.parse_detail(snapshot, context["platform"], context["base_url"], board,
                                          context["external_id"])
        return message_expectation(normalise_message(message))
    if family == "discuz":
        return discuz_recorded.parse(page, snapshot, context)
    if family == "generic":
        return generic_recorded.parse(page, snapshot, context)
    if family == "people":
        return people_recorded.parse(page, snapshot, context)
    raise KeyError(f"no page object for family {family!r} page {page!r}")
