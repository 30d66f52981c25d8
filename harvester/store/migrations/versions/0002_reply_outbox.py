"""Reply outbox: replies on their way back to a platform, and the audit trail of every transition.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)  # harvester.store.types.UTCDateTime in the models
STATES = ("draft", "approved", "sending", "posted", "posted_pending_moderation", "verified", "rejected", "dead",
          "cancelled")


def upgrade() -> None:
    op.create_table(
        "reply_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("organisation", sa.Text(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("approved_by", sa.String(length=255), nullable=True),
        sa.Column("approved_at", UTC_DATETIME, nullable=True),
        sa.Column("approved_hash", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("must_look", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("not_before", UTC_DATETIME, nullable=True),
        sa.Column("claimed_by", sa.String(length=255), nullable=True),
        sa.Column("claimed_at", UTC_DATETIME, nullable=True),
        sa.Column("platform_reply_id", sa.String(length=128), nullable=True),
        sa.Column("platform_message", sa.Text(), nullable=True),
        sa.Column("posted_at", UTC_DATETIME, nullable=True),
        sa.Column("verified_at", UTC_DATETIME, nullable=True),
        sa.Column("verified_run_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(f"state IN ({', '.join(repr(s) for s in STATES)})", name=op.f("ck_reply_outbox_state")),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name=op.f("fk_reply_outbox_message_id_messages")),
        sa.ForeignKeyConstraint(["verified_run_id"], ["harvest_runs.id"],
                                name=op.f("fk_reply_outbox_verified_run_id_harvest_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_reply_outbox_idempotency_key")),
    )
    op.create_index("ix_reply_outbox_state_not_before", "reply_outbox", ["state", "not_before"])
    op.create_index("ix_reply_outbox_platform_external_id", "reply_outbox", ["platform", "external_id"])

    op.create_table(
        "reply_outbox_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("reply_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["reply_id"], ["reply_outbox.id"],
                                name=op.f("fk_reply_outbox_events_reply_id_reply_outbox"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_outbox_events")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_reply_outbox_events_reply_id", "reply_outbox_events", ["reply_id"])


def downgrade() -> None:
    op.drop_table("reply_outbox_events")
    op.drop_table("reply_outbox")
