"""The reply outbox's tables: replies on their way to a platform, and the audit trail of their transitions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from harvester.store.base import Base, BigId

REPLY_STATES = ("draft", "approved", "sending", "posted", "posted_pending_moderation", "verified", "rejected",
                "dead", "cancelled")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class OutboxRow(Base):
    """One official reply to one stored message, from draft to verified (or rejected, dead, cancelled).

    `approved_hash` is `harvester.store.outbox.approval.approval_hash` of what was approved; a row whose current
    text (or unit, account, message) no longer hashes to it is never sent. `reason` says why the row is in
    its state: the platform's own words for rejected, the last failure for dead or a deferred retry.
    `must_look` is set (committed) before every post: until an answer clears it, the reply may be on the
    platform, and the next push asks the platform before posting again.
    """

    __tablename__ = "reply_outbox"
    __table_args__ = (
        CheckConstraint(_in("state", REPLY_STATES), name="state"),
        UniqueConstraint("idempotency_key"),
        Index("ix_reply_outbox_state_not_before", "state", "not_before"),
        Index("ix_reply_outbox_platform_external_id", "platform", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128))
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    platform: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(128))
    organisation: Mapped[str] = mapped_column(Text)
    account: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    approved_by: Mapped[str | None] = mapped_column(String(255))
    approved_at: Mapped[datetime | None]
    approved_hash: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    must_look: Mapped[bool] = mapped_column(default=False, server_default=false())
    not_before: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(255))
    claimed_at: Mapped[datetime | None]
    platform_reply_id: Mapped[str | None] = mapped_column(String(128))
    platform_message: Mapped[str | None] = mapped_column(Text)
    posted_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    verified_run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_runs.id"))


class OutboxEventRow(Base):
    """One transition of one reply (or one failed attempt, from and to `sending`): when, who, and why."""

    __tablename__ = "reply_outbox_events"
    __table_args__ = (
        Index("ix_reply_outbox_events_reply_id", "reply_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    reply_id: Mapped[int] = mapped_column(ForeignKey("reply_outbox.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(255))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
