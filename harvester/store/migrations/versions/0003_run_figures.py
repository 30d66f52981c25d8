"""Run figures in the store: HTTP status and exception counts, soft blocks and rows listed, per run.

They used to be JSON files under the harvesting host's state directory, so `harvester check` had to run on
that host; in the run row every reader of the store sees them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE on both backends (SQLite >= 3.35 drops columns in place): a batch rebuild of
# harvest_runs would drop a table that messages and events reference, which SQLite refuses.


def upgrade() -> None:
    op.add_column("harvest_runs", sa.Column("figures", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("harvest_runs", "figures")
