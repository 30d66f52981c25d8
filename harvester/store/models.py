"""The store's tables as typed SQLAlchemy models; the migrations under migrations/versions must match them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from harvester.store.base import Base, BigId

RUN_OUTCOMES = ("running", "succeeded", "failed", "abandoned")
EVENT_KINDS = ("created", "status_changed", "reply_added", "reply_removed", "text_edited", "updated", "hidden",
               "reappeared")
RUN_COUNTS = ("requests", "items", "new", "changed", "unchanged", "quarantined", "withdrawn", "skipped")

def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class RunRow(Base):
    """One harvest of one platform: when, how it ended and what it counted."""

    __tablename__ = "harvest_runs"
    __table_args__ = (
        CheckConstraint(_in("outcome", RUN_OUTCOMES), name="outcome"),
        Index("ix_harvest_runs_platform_outcome", "platform", "outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(16), default="running")
    failure_class: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    requests: Mapped[int] = mapped_column(default=0, server_default="0")
    items: Mapped[int] = mapped_column(default=0, server_default="0")
    new: Mapped[int] = mapped_column(default=0, server_default="0")
    changed: Mapped[int] = mapped_column(default=0, server_default="0")
    unchanged: Mapped[int] = mapped_column(default=0, server_default="0")
    quarantined: Mapped[int] = mapped_column(default=0, server_default="0")
    withdrawn: Mapped[int] = mapped_column(default=0, server_default="0")
    skipped: Mapped[int] = mapped_column(default=0, server_default="0")
    pid: Mapped[int | None]
    host: Mapped[str | None] = mapped_column(String(255))  # a pid means something only on its own host
    # Which board shard of the platform the run harvested ("2/4": the second of four, distributed mode's large
    # platforms); None for a run over all its boards.
    shard: Mapped[str | None] = mapped_column(String(16))
    # Figures the columns above do not hold (HTTP statuses, exceptions, soft blocks, rows listed); None for
    # runs that never finished and for runs recorded before migration 0003.
    figures: Mapped[dict[str, Any] | None]


class MessageRow(Base):
    """A message as last seen, with when it was first seen, last seen and last changed."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("platform", "external_id"),
        Index("ix_messages_platform_status", "platform", "status"),
        Index("ix_messages_platform_last_seen_at", "platform", "last_seen_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(128))
    url: Mapped[str] = mapped_column(Text)
    board_id: Mapped[str] = mapped_column(String(128))
    addressee: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    letter_no: Mapped[str | None] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    kind_raw: Mapped[str | None] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(String(32))
    topic_raw: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    status_raw: Mapped[str] = mapped_column(Text)
    posted_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]
    region: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[dict[str, Any]]
    views: Mapped[int | None]
    likes: Mapped[int | None]
    overdue: Mapped[bool | None]  # the platform's own overdue flag, where it shows one
    handling_unit: Mapped[str | None] = mapped_column(Text)  # 办理单位 / 承办单位, where the platform shows it
    attachments: Mapped[list[str]]
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    last_changed_at: Mapped[datetime]
    first_run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_runs.id"))
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_runs.id"))
    # The same citizen message on several platforms (一稿多投) or twice on one: the group's id (the row id of
    # the copy it formed around), on every member (harvester/store/links.py); None while it has no copy.
    link_group: Mapped[int | None] = mapped_column(index=True)

    replies: Mapped[list[ReplyRow]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="ReplyRow.position")


class SketchRow(Base):
    """A message body's bottom-k sketch (harvester/textsim.py): one row per kept shingle hash, so messages that
    share several are found through the index on `hash`."""

    __tablename__ = "message_sketches"

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    hash: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)


class SketchCountRow(Base):
    """How many message sketches hold a hash: a hash in very many is a stock phrase (尊敬的领导您好) or a
    template's, and says nothing about which message is a copy of which (harvester/store/links.py)."""

    __tablename__ = "sketch_counts"

    hash: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    messages: Mapped[int]


class ReplyRow(Base):
    """A reply under a message, keyed within it by `Reply.identity`."""

    __tablename__ = "message_replies"
    __table_args__ = (UniqueConstraint("message_id", "identity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    identity: Mapped[str] = mapped_column(String(160))
    position: Mapped[int]
    external_id: Mapped[str | None] = mapped_column(String(128))
    organisation: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    replied_at: Mapped[datetime | None]
    author: Mapped[str | None] = mapped_column(Text)
    official: Mapped[bool]
    title: Mapped[str | None] = mapped_column(Text)

    message: Mapped[MessageRow] = relationship(back_populates="replies")


class EventRow(Base):
    """The change feed: `seq` grows in commit order, so a reader resumes with `seq > last seen`."""

    __tablename__ = "message_events"
    __table_args__ = (
        CheckConstraint(_in("kind", EVENT_KINDS), name="kind"),
        Index("ix_message_events_message_id", "message_id"),
        Index("ix_message_events_run_id", "run_id"),
        {"sqlite_autoincrement": True},  # never reuse a seq, even of a deleted last row
    )

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_runs.id"))
    occurred_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]]


class CursorRow(Base):
    """A board's sync watermark: everything at or below `value` is stored."""

    __tablename__ = "board_cursors"

    platform: Mapped[str] = mapped_column(String(64), primary_key=True)
    board_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_runs.id"))


class QuarantineRow(Base):
    """A page that could not be parsed, kept byte for byte with the reason; repeats bump `times_seen`."""

    __tablename__ = "quarantine"
    __table_args__ = (UniqueConstraint("platform", "url", "body_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_runs.id"))
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_runs.id"))
    url: Mapped[str] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(128))
    status_code: Mapped[int]
    headers: Mapped[dict[str, Any]]
    body: Mapped[bytes] = mapped_column(LargeBinary)
    encoding: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    body_sha256: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    times_seen: Mapped[int] = mapped_column(default=1, server_default="1")
