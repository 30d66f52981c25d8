"""Linking copies of one citizen message (一稿多投): the same text on several platforms, or twice on one.

When a message is stored for the first time (or its text is edited) its body is sketched
(harvester/textsim.py) and compared with messages posted within WINDOW of it that share part of the sketch. The
most similar one at or above MIN_SIMILARITY links it: both carry the group's id (the row id of the copy the group
formed around) in `link_group`, and each message that joins a group gets an "updated" event
({"fields": ["link_group"], …}) in the same transaction, so downstream systems syncing the feed see the link.

Bounded work per message, whatever the letters look like: sketch hashes held by more than COMMON sketches
(sketch_counts) are stock phrases or a template's and are not looked up, so each lookup reads at most
16 x COMMON index entries; at most CANDIDATES messages sharing the most are compared. Letters written from one
template by different citizens therefore cost no more than any other (and are linked only when their bodies
are near-verbatim). The counts are not lowered when a message is re-worded: they only ever overstate.

A link is never undone by the harvester (an edited copy stays in its group); downstream systems decide what a
group means for their case (one case, one reply)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from harvester.schema import Message
from harvester.store.models import MessageRow, SketchCountRow, SketchRow
from harvester.textsim import MIN_SHARED, MIN_SIMILARITY, shingles, similarity, sketch

WINDOW = timedelta(days=30)  # a citizen posts the copies within days; a month leaves room for slow moderation
COMMON = 100  # sketches holding a hash beyond which it is a stock phrase
CANDIDATES = 20  # messages compared per new message at most
COUNT_ROWS = 2000  # hashes per counting statement: 4,000 parameters, far below SQLite's limit


@dataclass(frozen=True, slots=True)
class Match:
    message_id: int
    platform: str
    external_id: str
    link_group: int | None
    score: float


def link_messages(session: Session, stored: Sequence[tuple[int, Message]], edited: Collection[int],
                  run_id: int | None, at: datetime) -> list[dict[str, Any]]:
    """Sketch these new or re-worded messages ((row id, message) pairs, flushed; `edited` names the re-worded
    ones, whose old sketch goes) and link each to its most similar copy; return the events to append."""
    if edited:
        session.execute(delete(SketchRow).where(SketchRow.message_id.in_(list(edited))))
    sketched = {message_id: (message, hashes) for message_id, message in stored if (hashes := shingles(message.body))}
    if not sketched:
        return []
    kept = {message_id: sketch(hashes) for message_id, (_, hashes) in sketched.items()}
    session.execute(insert(SketchRow), [{"message_id": message_id, "hash": value}
                                        for message_id, values in kept.items() for value in values])
    _count(session, Counter(value for values in kept.values() for value in values))
    groups: dict[int, int | None] = {row.id: row.link_group for row in session.execute(
        select(MessageRow.id, MessageRow.link_group).where(MessageRow.id.in_(list(sketched))))}
    events: list[dict[str, Any]] = []
    for message_id, (message, hashes) in sketched.items():
        if groups.get(message_id) is not None:
            continue  # already in a group (linked earlier, or by a copy earlier in this batch)
        match = _best_match(session, message_id, message, hashes, kept[message_id])
        if match is None:
            continue
        found_group = groups.get(match.message_id) or match.link_group
        group = found_group or match.message_id
        if found_group is None:  # the copy found starts the group
            events.append(_join(session, match.message_id, (match.platform, match.external_id), group,
                                (message.platform, message.external_id), match.score, run_id, at))
            groups[match.message_id] = group
        events.append(_join(session, message_id, (message.platform, message.external_id), group,
                            (match.platform, match.external_id), match.score, run_id, at))
        groups[message_id] = group
    return events


def _best_match(session: Session, message_id: int, message: Message, hashes: frozenset[int],
                kept: list[int]) -> Match | None:
    telling = select(SketchCountRow.hash).where(SketchCountRow.hash.in_(kept), SketchCountRow.messages <= COMMON)
    shared = func.count().label("shared")
    nearest = (select(SketchRow.message_id, shared)
               .join(MessageRow, MessageRow.id == SketchRow.message_id)
               .where(SketchRow.hash.in_(telling), SketchRow.message_id != message_id,
                      MessageRow.posted_at >= message.posted_at - WINDOW,
                      MessageRow.posted_at <= message.posted_at + WINDOW)
               .group_by(SketchRow.message_id).having(func.count() >= MIN_SHARED)
               .order_by(shared.desc(), SketchRow.message_id).limit(CANDIDATES)).subquery()
    candidates = session.execute(
        select(MessageRow.id, MessageRow.platform, MessageRow.external_id, MessageRow.link_group, MessageRow.body)
        .join(nearest, nearest.c.message_id == MessageRow.id).order_by(MessageRow.id)).all()
    scored = [Match(row.id, row.platform, row.external_id, row.link_group, similarity(hashes, shingles(row.body)))
              for row in candidates]
    return max((m for m in scored if m.score >= MIN_SIMILARITY), key=lambda m: m.score, default=None)


def _count(session: Session, added: Counter[int]) -> None:
    """Add sketches to the counts of their hashes (each hash once per statement, as PostgreSQL requires)."""
    rows = [{"hash": value, "messages": count} for value, count in sorted(added.items())]
    dialect = session.get_bind().dialect.name
    for start in range(0, len(rows), COUNT_ROWS):
        statement: Any = (postgresql.insert(SketchCountRow) if dialect == "postgresql"
                          else sqlite.insert(SketchCountRow)).values(rows[start:start + COUNT_ROWS])
        session.execute(statement.on_conflict_do_update(
            index_elements=["hash"], set_={"messages": SketchCountRow.messages + statement.excluded.messages}))


def _join(session: Session, message_id: int, key: tuple[str, str], group: int, other: tuple[str, str],
          score: float, run_id: int | None, at: datetime) -> dict[str, Any]:
    """Put a message in a group; its event, naming the copy that linked it."""
    session.execute(update(MessageRow).where(MessageRow.id == message_id).values(link_group=group))
    payload = {"fields": ["link_group"], "link_group": group,
               "linked_with": {"platform": other[0], "external_id": other[1]}, "similarity": round(score, 3)}
    return {"message_id": message_id, "platform": key[0], "external_id": key[1], "kind": "updated",
            "run_id": run_id, "occurred_at": at, "payload": payload}
