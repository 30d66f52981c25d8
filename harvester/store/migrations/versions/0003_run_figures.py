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


def upgrade() -> None:
    with op.batch_alter_table("harvest_runs") as batch:
        batch.add_column(sa.Column("figures", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("harvest_runs") as batch:
        batch.drop_column("figures")
