"""A detail page (plus its list row) as a Message, or as per-field JSON data for conformance tests. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harvester.definition.model import Definition
from harvester.extract.errors import LayoutChanged
from harvester.extract.snapshot import Snapshot
from harvester.fixtures import message_expectation
from harvester.pipelines.normalise import normalise_message
from harvester.registry import Board
from harvester.schema import Message
from harvester.vocab import Kind, Status, Topic
from spiders.generic.convert import Letter, canonical
from spiders.generic.detail import read_detail

# A failed definition field shows in these keys of the stored message.
ERROR_KEYS = {"status": ("status", "status_raw"), "kind": ("kind", "kind_raw"), "topic": ("topic", "topic_raw"),
              "reply.text": ("replies", "updated_at"), "reply.organisation": ("replies",),
              "reply.replied_at": ("replies", "updated_at"), "reply.title": ("replies",)}


@dataclass(frozen=True, slots=True)
class LetterContext:
    """What the spider knows about a letter before reading its page."""

    platform: str
    board: Board
    external_id: str
    url: str


def read_letter(snapshot: Snapshot, definition: Definition, row: Mapping[str, Any]) -> Letter:
    """The letter's canonical values; NotPublic when the page says so."""
    return canonical(row, read_detail(snapshot, definition), definition)


def _build(values: Mapping[str, Any], context: LetterContext, snapshot: Snapshot) -> Message:
    return Message(
        platform=context.platform, external_id=context.external_id, url=context.url, board_id=context.board.id,
        addressee=context.board.addressee, title=values.get("title", ""), body=values.get("body", ""),
        status=values.get("status", Status.PENDING), status_raw=values.get("status_raw", ""),
        posted_at=values.get("posted_at", snapshot.fetched_at), fetched_at=snapshot.fetched_at,
        kind=values.get("kind", Kind.OTHER), kind_raw=values.get("kind_raw"), topic=values.get("topic", Topic.OTHER),
        topic_raw=values.get("topic_raw"), author=values.get("author"), letter_no=values.get("letter_no"),
        updated_at=values.get("updated_at"), region=values.get("region"),
        satisfaction=dict(values.get("satisfaction", {})), views=values.get("views"), likes=values.get("likes"),
        overdue=values.get("overdue"), handling_unit=values.get("handling_unit"),
        attachments=tuple(values.get("attachments", ())),
        replies=values.get("replies", ()), source=snapshot,
    )


def to_message(letter: Letter, context: LetterContext, snapshot: Snapshot) -> Message:
    """The Message, or LayoutChanged naming every field that failed."""
    if letter.errors:
        raise LayoutChanged("; ".join(letter.errors.values()))
    return _build(letter.values, context, snapshot)


def expectation(letter: Letter, context: LetterContext, snapshot: Snapshot) -> dict[str, Any]:
    """Stored fields as JSON data (normalised like the pipeline does); a failed field shows its reason."""
    data = message_expectation(normalise_message(_build(letter.values, context, snapshot)))
    for name, reason in letter.errors.items():
        for key in ERROR_KEYS.get(name, (name,)):
            data[key] = {"error": "LayoutChanged", "reason": reason}
    return data
