"""Board shards: a run records which shard of its platform's boards it harvested ("2/4"), None for all of them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE on both backends, as 0003: a batch rebuild of harvest_runs would drop a table that messages
# and events reference, which SQLite refuses.


def upgrade() -> None:
    op.add_column("harvest_runs", sa.Column("shard", sa.String(length=16), nullable=True))


def downgrade() -> None:
    op.drop_column("harvest_runs", "shard")
