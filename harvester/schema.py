"""The one normalised item model every spider and adapter yields, plus the crawl's bookkeeping items.

Names follow Open311 GeoReport v2 where one exists; see `Message.open311()` for the mapping.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from harvester.extract.snapshot import Snapshot
from harvester.timeutil import require_aware, to_utc
from harvester.vocab import KIND_NAMES, Kind, Status, Topic

OPEN311_DESCRIPTION_MAX = 4000  # GeoReport v2: description is free text limited to 4,000 characters


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer shown under a message: official (a unit's reply) or a citizen follow-up."""

    text: str
    organisation: str | None = None  # 回复单位 / 答复部门
    replied_at: datetime | None = None
    external_id: str | None = None
    author: str | None = None
    official: bool = True
    title: str | None = None  # the heading some portals give a reply (天津 回复标题)

    def __post_init__(self) -> None:
        if self.replied_at is not None:
            require_aware(self.replied_at)

    @property
    def identity(self) -> str:
        """Stable key within its message: the platform's id, else a hash of who/when/what."""
        if self.external_id:
            return self.external_id
        basis = f"{self.organisation}|{self.replied_at and to_utc(self.replied_at).isoformat()}|{self.text}"
        return "h:" + hashlib.sha256(basis.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Message:
    """One citizen message as a platform shows it, normalised.

    `external_id` is the platform's own id (never the title). Times are aware; the store keeps UTC.
    `source` is the snapshot it was parsed from, used only to quarantine it if validation fails.
    """

    platform: str
    external_id: str  # the platform's own id (Open311 service_request_id is `open311_id`)
    url: str
    board_id: str
    addressee: str  # 留言对象: 杭州市委书记 / 市长信箱 / 问政版块
    title: str
    body: str
    status: Status  # Open311 status (via Status.open311)
    status_raw: str  # Open311 status_notes
    posted_at: datetime  # Open311 requested_datetime
    fetched_at: datetime
    kind: Kind = Kind.OTHER
    kind_raw: str | None = None
    topic: Topic = Topic.OTHER
    topic_raw: str | None = None
    author: str | None = None  # as shown, usually masked
    letter_no: str | None = None  # visible number such as G20181227-0026
    updated_at: datetime | None = None  # Open311 updated_datetime
    region: str | None = None
    satisfaction: dict[str, int] = field(default_factory=dict)
    views: int | None = None
    likes: int | None = None
    overdue: bool | None = None  # the platform's own verdict (天津 是否超时); None where it shows none
    handling_unit: str | None = None  # 办理单位 / 承办单位: the unit the platform shows handling it
    attachments: tuple[str, ...] = ()
    replies: tuple[Reply, ...] = ()
    source: Snapshot | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        require_aware(self.posted_at)
        require_aware(self.fetched_at)
        if self.updated_at is not None:
            require_aware(self.updated_at)

    @property
    def agency_responsible(self) -> str | None:
        """The unit the platform shows handling it, else the unit that answered last (Open311
        agency_responsible)."""
        official = [r for r in self.replies if r.official and r.organisation]
        return self.handling_unit or (official[-1].organisation if official else None)

    def content_hash(self) -> str:
        """Hash of what a reader would call the message's content; counters and provenance excluded."""
        return hashlib.sha256(json.dumps(self.content_fields(), sort_keys=True, ensure_ascii=False)
                              .encode()).hexdigest()

    def content_fields(self) -> dict[str, Any]:
        """The fields whose change is a change of the message (views and likes are not).

        Fields added after messages were first stored count only once a platform fills them, so that
        messages without them keep the hash they were stored with (no spurious change on upgrade).
        """
        fields: dict[str, Any] = {
            "title": self.title, "body": self.body, "status": self.status.value,
            "status_raw": self.status_raw, "kind": self.kind.value, "kind_raw": self.kind_raw,
            "topic": self.topic.value, "topic_raw": self.topic_raw, "author": self.author,
            "addressee": self.addressee, "board_id": self.board_id, "letter_no": self.letter_no,
            "posted_at": to_utc(self.posted_at).isoformat(), "region": self.region,
            "satisfaction": dict(sorted(self.satisfaction.items())), "attachments": list(self.attachments),
            "replies": [reply_fields(r) for r in self.replies],
        }
        if self.overdue is not None:
            fields["overdue"] = self.overdue
        if self.handling_unit is not None:
            fields["handling_unit"] = self.handling_unit
        return fields

    @property
    def open311_id(self) -> str:
        """The GeoReport v2 service_request_id: unique across platforms (two platforms can share an id), and
        split back at the first "-", which a platform slug never holds."""
        return f"{self.platform}-{self.external_id}"

    def open311(self) -> dict[str, Any]:
        """This message as a GeoReport v2 service request: service_code is the kind, description the body cut
        to the spec's 4,000 characters."""
        return {
            "service_request_id": self.open311_id,
            "status": self.status.open311(),
            "status_notes": self.status_raw,
            "service_code": self.kind.value,
            "service_name": KIND_NAMES[self.kind],
            "description": self.body[:OPEN311_DESCRIPTION_MAX],
            "agency_responsible": self.agency_responsible,
            "requested_datetime": to_utc(self.posted_at).isoformat(),
            "updated_datetime": to_utc(self.updated_at).isoformat() if self.updated_at else None,
            "address": self.region,
            "media_url": self.attachments[0] if self.attachments else None,
        }


def reply_fields(reply: Reply) -> dict[str, Any]:
    """A reply as plain data, times in UTC ISO form."""
    data = asdict(reply)
    if data["title"] is None:  # added later: absent, not null, so older hashes hold
        del data["title"]
    data["replied_at"] = to_utc(reply.replied_at).isoformat() if reply.replied_at else None
    return data


@dataclass(frozen=True, slots=True)
class QuarantinedPage:
    """A page that could not be turned into a message: kept whole with the reason."""

    platform: str
    snapshot: Snapshot
    reason: str
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class MessageWithdrawn:
    """A message the platform no longer shows publicly (redirect, removed link)."""

    platform: str
    external_id: str
    seen_at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class BoardCursor:
    """Sync watermark of one board: everything at or below `value` is stored."""

    platform: str
    board_id: str
    value: str


HarvestItem = Message | QuarantinedPage | MessageWithdrawn | BoardCursor
