"""Links between copies of one citizen message (一稿多投): messages.link_group and the body sketches that find
them (message_sketches, and sketch_counts: how common each sketch hash is).

Messages stored before this revision have no sketch: they are sketched, and linked, when their text next
changes; copies arriving later link to each other.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("link_group", sa.Integer(), nullable=True))
    op.create_index("ix_messages_link_group", "messages", ["link_group"])
    op.create_table(
        "message_sketches",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name="fk_message_sketches_message_id_messages",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("message_id", "hash", name="pk_message_sketches"),
    )
    op.create_index("ix_message_sketches_hash", "message_sketches", ["hash"])
    op.create_table(
        "sketch_counts",
        sa.Column("hash", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("hash", name="pk_sketch_counts"),
    )


def downgrade() -> None:
    op.drop_table("sketch_counts")
    op.drop_index("ix_message_sketches_hash", table_name="message_sketches")
    op.drop_table("message_sketches")
    op.drop_index("ix_messages_link_group", table_name="messages")
    op.drop_column("messages", "link_group")
