"""Stored rows to and from `Message`, and what changed between two versions of a message as feed events."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harvester.schema import Message, Reply, reply_fields
from harvester.store.models import MessageRow, ReplyRow
from harvester.timeutil import to_utc
from harvester.vocab import Kind, Status, Topic

TEXT_FIELDS = ("title", "body")
# Fields that change on their own (counters) or do not describe the message (its address, the site's own
# "updated" stamp): refreshed on every sighting, never an event.
SILENT_FIELDS = ("views", "likes", "url", "updated_at")


@dataclass(frozen=True, slots=True)
class Change:
    """One event-worthy difference: an event kind and its payload."""

    kind: str
    payload: dict[str, Any]


def message_values(message: Message) -> dict[str, Any]:
    """The `messages` columns a harvested message sets (provenance and hash excluded)."""
    return {
        "platform": message.platform, "external_id": message.external_id, "url": message.url,
        "board_id": message.board_id, "addressee": message.addressee, "title": message.title,
        "body": message.body, "author": message.author, "letter_no": message.letter_no,
        "kind": message.kind.value, "kind_raw": message.kind_raw, "topic": message.topic.value,
        "topic_raw": message.topic_raw, "status": message.status.value, "status_raw": message.status_raw,
        "posted_at": message.posted_at, "updated_at": message.updated_at, "region": message.region,
        "satisfaction": dict(message.satisfaction), "views": message.views, "likes": message.likes,
        "overdue": message.overdue, "handling_unit": message.handling_unit, "attachments": list(message.attachments),
    }


def stored_message(row: MessageRow) -> Message:
    """The message as stored, rebuilt so it can be hashed and compared like a harvested one."""
    replies = tuple(Reply(text=r.text, organisation=r.organisation, replied_at=r.replied_at,
                          external_id=r.external_id, author=r.author, official=r.official, title=r.title)
                    for r in row.replies)
    return Message(
        platform=row.platform, external_id=row.external_id, url=row.url, board_id=row.board_id,
        addressee=row.addressee, title=row.title, body=row.body, status=Status(row.status),
        status_raw=row.status_raw, posted_at=row.posted_at, fetched_at=row.last_seen_at, kind=Kind(row.kind),
        kind_raw=row.kind_raw, topic=Topic(row.topic), topic_raw=row.topic_raw, author=row.author,
        letter_no=row.letter_no, updated_at=row.updated_at, region=row.region,
        satisfaction=dict(row.satisfaction), views=row.views, likes=row.likes, overdue=row.overdue,
        handling_unit=row.handling_unit,
        attachments=tuple(row.attachments), replies=replies,
    )


def reply_identities(replies: Sequence[Reply]) -> list[str]:
    """Each reply's identity, made unique within the message.

    Two replies without a platform id and with the same unit, time and text (a citizen posting "谢谢" twice)
    share `Reply.identity`; the second becomes "<identity>#2" so both can be stored.
    """
    seen: Counter[str] = Counter()
    identities = []
    for reply in replies:
        seen[reply.identity] += 1
        count = seen[reply.identity]
        identities.append(reply.identity if count == 1 else f"{reply.identity}#{count}")
    return identities


def reply_values(reply: Reply) -> dict[str, Any]:
    """The `message_replies` columns a reply sets (its message, identity and position excluded)."""
    return {"external_id": reply.external_id, "organisation": reply.organisation, "text": reply.text,
            "replied_at": reply.replied_at, "author": reply.author, "official": reply.official,
            "title": reply.title}


def sync_replies(row: MessageRow, replies: Sequence[Reply]) -> None:
    """Make the row's reply rows match `replies`: keep rows by identity, add new ones, drop the rest."""
    existing = {reply_row.identity: reply_row for reply_row in row.replies}
    synced = []
    for position, (identity, reply) in enumerate(zip(reply_identities(replies), replies, strict=True)):
        reply_row = existing.get(identity) or ReplyRow(identity=identity)
        for name, value in (reply_values(reply) | {"position": position}).items():
            setattr(reply_row, name, value)
        synced.append(reply_row)
    row.replies = synced


def diff(old: Message, new: Message) -> list[Change]:
    """One event per kind of change between the stored and the harvested version; [] if the content is equal.

    Moving into or out of "hidden" is a `hidden` / `reappeared` event rather than `status_changed`.
    """
    before, after = old.content_fields(), new.content_fields()
    changed = {name for name in after if before.get(name) != after[name]}
    changes = _status_change(old, new) if "status" in changed else []
    replies_edited = False
    if "replies" in changed:
        reply_changes, replies_edited = _reply_changes(old.replies, new.replies)
        changes += reply_changes
    text = [name for name in TEXT_FIELDS if name in changed]
    if text:
        changes.append(Change("text_edited", {"fields": text}))
    covered = {"status", "replies", *TEXT_FIELDS} | ({"status_raw"} if "status" in changed else set())
    other = sorted(changed - covered) + (["replies"] if replies_edited else [])
    if other:
        changes.append(Change("updated", {"fields": other}))
    return changes


def _status_change(old: Message, new: Message) -> list[Change]:
    payload = {"from": old.status.value, "to": new.status.value,
               "from_raw": old.status_raw, "to_raw": new.status_raw}
    if new.status is Status.HIDDEN:
        return [Change("hidden", payload)]
    if old.status is Status.HIDDEN:
        return [Change("reappeared", payload)]
    return [Change("status_changed", payload)]


def _reply_changes(old: Sequence[Reply], new: Sequence[Reply]) -> tuple[list[Change], bool]:
    """Replies added and removed (by identity), and whether kept replies were edited or reordered."""
    old_ids = dict(zip(reply_identities(old), old, strict=True))
    new_ids = dict(zip(reply_identities(new), new, strict=True))
    added = [Change("reply_added", _reply_payload(i, r)) for i, r in new_ids.items() if i not in old_ids]
    removed = [Change("reply_removed", _reply_payload(i, r)) for i, r in old_ids.items() if i not in new_ids]
    kept = [i for i in new_ids if i in old_ids]
    edited = kept != [i for i in old_ids if i in new_ids] or any(
        reply_fields(old_ids[i]) != reply_fields(new_ids[i]) for i in kept)
    return added + removed, edited


def _reply_payload(identity: str, reply: Reply) -> dict[str, Any]:
    return {"identity": identity, "organisation": reply.organisation, "official": reply.official,
            "replied_at": to_utc(reply.replied_at).isoformat() if reply.replied_at else None}
