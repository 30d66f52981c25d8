"""Which page object parses which recorded page: each family's `recorded` parser, as its Family record names it
(spiders/<family>/family.py). The conformance tests' single entry point."""

from __future__ import annotations

from typing import Any

from harvester.definition import Definition
from harvester.extract.errors import LayoutChanged
from harvester.extract.snapshot import Snapshot
from harvester.registry import family_record


def parse_recorded(family: str, page: str, snapshot: Snapshot, context: dict[str, Any],
                   definition: Definition | None = None) -> dict[str, Any]:
    """Parse a recorded page the way the family's spider and the normalise step would, as JSON data
    (`definition`: a generic platform's, when not the registry's). LayoutChanged propagates; KeyError when the
    family has no page object for `page`."""
    return family_record(family).parse_recorded(page, snapshot, context, definition)


def recorded_outcome(family: str, page: str, snapshot: Snapshot, context: dict[str, Any],
                     definition: Definition | None = None) -> dict[str, Any]:
    """What a recorded page parses to, or {"error": "LayoutChanged", "reason": …} when it no longer parses:
    what conformance compares with a case's expectation, field by field."""
    try:
        return parse_recorded(family, page, snapshot, context, definition)
    except LayoutChanged as error:
        return {"error": "LayoutChanged", "reason": error.reason}
