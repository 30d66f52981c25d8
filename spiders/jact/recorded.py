"""Recorded jact mailbox pages parsed the way the spider and the normalise step would, as JSON data (fixtures)."""

from __future__ import annotations

from typing import Any

from harvester.definition import Definition
from harvester.extract.snapshot import Snapshot
from harvester.fixtures import message_expectation, plain
from harvester.pipelines.normalise import normalise_message
from harvester.registry import Board
from spiders.jact import pages

PAGES = ("list", "detail")


def parse(page: str, snapshot: Snapshot, context: dict[str, Any],
          definition: Definition | None = None) -> dict[str, Any]:
    """`list`: the letter list (`rejected` only when a row did not read); `detail`: the letter as its message.
    LayoutChanged propagates; `definition` is unused (a code family's pages need none)."""
    if page == "list":
        data = plain(pages.parse_list(snapshot))
        if not data["rejected"]:
            del data["rejected"]
        return dict(data)
    if page != "detail":
        raise KeyError(f"no jact page object {page!r}; known {PAGES}")
    board = Board(**context["board"])
    message = pages.parse_detail(snapshot, context["platform"], context["base_url"], board, context["external_id"])
    return message_expectation(normalise_message(message))
