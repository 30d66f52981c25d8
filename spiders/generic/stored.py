"""What the spider carries from the list row (or the store, on a re-check) to the detail page, and its store reads."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from harvester.definition import Definition
from harvester.definition.model import MESSAGE_FIELDS
from harvester.schema import MessageWithdrawn
from harvester.store.db import Store
from harvester.timeutil import utcnow
from spiders.generic.listing import Row
from spiders.generic.scan import join_key

# Message fields a list may show, and the stored column holding each as the site wrote it.
STORED_RAW = {"title": "title", "status": "status_raw", "kind": "kind_raw", "topic": "topic_raw",
              "author": "author", "letter_no": "letter_no", "region": "region"}


def row_fields(row: Row) -> dict[str, Any]:
    """The row's message fields (raw), for fields the detail page does not show."""
    return {name: value for name, value in row.values.items() if name in MESSAGE_FIELDS}


def recheck_row(definition: Definition, record: dict[str, Any]) -> dict[str, Any]:
    """For a stored letter: the raw values of list-only fields (a re-check reads no list row) and its cursor key."""
    list_only = [n for n in definition.list.fields if n in STORED_RAW and n not in definition.detail.fields]
    row = {name: record[STORED_RAW[name]] for name in list_only if record.get(STORED_RAW[name])}
    parts = [record["external_id"] if part == "id" else record.get(STORED_RAW.get(part, part))
             for part in definition.list.cursor]
    key = join_key(str(part) for part in parts) if all(p is not None for p in parts) else record["external_id"]
    return {"row": row, "key": key}


def stored_cursor(store: Store, platform: str, board_id: str) -> str | None:
    with store.transaction() as repo:
        return repo.get_cursor(platform, board_id)


def stored_records(store: Store, platform: str, external_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Stored letters by id (those the store does not know are left out)."""
    with store.transaction() as repo:
        found = {i: repo.get_message(platform, i) for i in external_ids}
    return {i: record for i, record in found.items() if record is not None}


def withdrawn_rows(store: Store, platform: str, rows: list[Row], shown_public: Collection[str] = ()) -> \
        list[MessageWithdrawn]:
    """Letters we stored that the list now shows as not public, found by their letter number.

    A number that a public row shows too (`shown_public`) names another letter: 大连 gave one number to two
    letters, and hiding the public one because its twin is not public would lose it."""
    numbers = {str(row.values["letter_no"]) for row in rows if row.values.get("letter_no")} - set(shown_public)
    if not numbers:
        return []
    with store.transaction() as repo:
        stored = repo.public_by_letter_no(platform, numbers)
    return [MessageWithdrawn(platform=platform, external_id=stored[number], seen_at=utcnow(),
                             reason="listed as not public") for number in sorted(numbers & set(stored))]
