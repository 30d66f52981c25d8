"""Initial store schema: runs, messages with replies, the change feed, board cursors and quarantine.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)  # harvester.store.types.UTCDateTime in the models


def _run_fk(column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["harvest_runs.id"], name=op.f(f"fk_{table}_{column}_harvest_runs"))


def upgrade() -> None:
    counters = ("requests", "items", "new", "changed", "unchanged", "quarantined", "withdrawn", "skipped")
    op.create_table(
        "harvest_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("failure_class", sa.String(length=32), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        *(sa.Column(name, sa.Integer(), server_default="0", nullable=False) for name in counters),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.CheckConstraint("outcome IN ('running', 'succeeded', 'failed', 'abandoned')",
                           name=op.f("ck_harvest_runs_outcome")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_harvest_runs")),
    )
    op.create_index("ix_harvest_runs_platform_outcome", "harvest_runs", ["platform", "outcome"])

    op.create_table(
        "board_cursors",
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("board_id", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        _run_fk("run_id", "board_cursors"),
        sa.PrimaryKeyConstraint("platform", "board_id", name=op.f("pk_board_cursors")),
    )

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("board_id", sa.String(length=128), nullable=False),
        sa.Column("addressee", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("letter_no", sa.String(length=128), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("kind_raw", sa.Text(), nullable=True),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("topic_raw", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("status_raw", sa.Text(), nullable=False),
        sa.Column("posted_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=True),
        sa.Column("region", sa.Text(), nullable=True),
        sa.Column("satisfaction", sa.JSON(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=True),
        sa.Column("likes", sa.Integer(), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", UTC_DATETIME, nullable=False),
        sa.Column("last_seen_at", UTC_DATETIME, nullable=False),
        sa.Column("last_changed_at", UTC_DATETIME, nullable=False),
        sa.Column("first_run_id", sa.Integer(), nullable=True),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        _run_fk("first_run_id", "messages"),
        _run_fk("last_run_id", "messages"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("platform", "external_id", name=op.f("uq_messages_platform_external_id")),
    )
    op.create_index("ix_messages_platform_last_seen_at", "messages", ["platform", "last_seen_at"])
    op.create_index("ix_messages_platform_status", "messages", ["platform", "status"])

    op.create_table(
        "message_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.String(length=160), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.Column("organisation", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("replied_at", UTC_DATETIME, nullable=True),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("official", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name=op.f("fk_message_replies_message_id_messages"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_replies")),
        sa.UniqueConstraint("message_id", "identity", name=op.f("uq_message_replies_message_id_identity")),
    )

    op.create_table(
        "message_events",
        # SQLite auto-assigns only INTEGER PRIMARY KEY; AUTOINCREMENT keeps it from ever reusing a seq.
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("occurred_at", UTC_DATETIME, nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.CheckConstraint("kind IN ('created', 'status_changed', 'reply_added', 'reply_removed', 'text_edited', "
                           "'updated', 'hidden', 'reappeared')", name=op.f("ck_message_events_kind")),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name=op.f("fk_message_events_message_id_messages"),
                                ondelete="CASCADE"),
        _run_fk("run_id", "message_events"),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_message_events")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_message_events_message_id", "message_events", ["message_id"])
    op.create_index("ix_message_events_run_id", "message_events", ["run_id"])

    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("encoding", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", UTC_DATETIME, nullable=False),
        sa.Column("last_seen_at", UTC_DATETIME, nullable=False),
        sa.Column("times_seen", sa.Integer(), server_default="1", nullable=False),
        _run_fk("run_id", "quarantine"),
        _run_fk("last_run_id", "quarantine"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
        sa.UniqueConstraint("platform", "url", "body_sha256", name=op.f("uq_quarantine_platform_url_body_sha256")),
    )


def downgrade() -> None:
    for table in ("quarantine", "message_events", "message_replies", "messages", "board_cursors", "harvest_runs"):
        op.drop_table(table)
