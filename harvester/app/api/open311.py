"""Open311 GeoReport v2 read side: service list, ids, and stored records as `Message.open311()` maps them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from harvester.schema import Message, Reply
from harvester.vocab import KIND_NAMES, Kind, Status, Topic

# GeoReport v2 knows two statuses; ours map onto them as Status.open311 does.
OPEN311_STATUSES = {"open": tuple(s.value for s in Status if s.is_open),
                    "closed": tuple(s.value for s in Status if not s.is_open)}


def services() -> list[dict[str, Any]]:
    """services.json: one service per message kind; no extra attributes, so metadata is false."""
    return [{"service_code": kind.value, "service_name": KIND_NAMES[kind],
             "description": f"网民留言：{KIND_NAMES[kind]}", "metadata": False, "type": "realtime",
             "keywords": KIND_NAMES[kind], "group": "网民留言"} for kind in Kind]


def parse_request_id(request_id: str) -> tuple[str, str] | None:
    """(platform, external id) of a service_request_id (see `Message.open311_id`), or None if malformed."""
    platform, sep, external_id = request_id.partition("-")
    return (platform, external_id) if sep and platform and external_id else None


def message_from_record(record: Mapping[str, Any]) -> Message:
    """A stored message record back as a Message, so `Message.open311()` stays the one mapping."""
    replies = tuple(Reply(text=r["text"], organisation=r.get("organisation"), replied_at=r.get("replied_at"),
                          external_id=r.get("external_id"), author=r.get("author"), official=r.get("official", True),
                          title=r.get("title")) for r in record.get("replies") or [])
    seen: datetime = record["last_seen_at"]
    return Message(
        platform=record["platform"], external_id=record["external_id"], url=record["url"],
        board_id=record["board_id"], addressee=record["addressee"], title=record["title"], body=record["body"],
        status=Status(record["status"]), status_raw=record["status_raw"], posted_at=record["posted_at"],
        fetched_at=seen, kind=Kind(record["kind"]), kind_raw=record.get("kind_raw"), topic=Topic(record["topic"]),
        topic_raw=record.get("topic_raw"), author=record.get("author"), letter_no=record.get("letter_no"),
        updated_at=record.get("updated_at"), region=record.get("region"), handling_unit=record.get("handling_unit"),
        attachments=tuple(record.get("attachments") or ()), replies=replies)


def service_request(record: Mapping[str, Any]) -> dict[str, Any]:
    """One stored message as a GeoReport v2 service request."""
    return message_from_record(record).open311()
