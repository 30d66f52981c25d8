"""The platform's own overdue flag on messages (天津 是否超时), the unit it shows handling a message
(办理单位 / 承办单位) and a reply's heading (天津 回复标题).

All nullable: platforms that show none leave them empty, and stored messages keep their content hash (the
hash counts these fields only once a platform fills them).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain ALTER TABLE on both backends (SQLite >= 3.35 drops columns in place), as in 0003.


def upgrade() -> None:
    op.add_column("messages", sa.Column("overdue", sa.Boolean(), nullable=True))
    op.add_column("messages", sa.Column("handling_unit", sa.Text(), nullable=True))
    op.add_column("message_replies", sa.Column("title", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("message_replies", "title")
    op.drop_column("messages", "handling_unit")
    op.drop_column("messages", "overdue")
