"""Campaign statistics: counters a campaign keeps across restarts.

Revision ID: 0002
Revises: 0001
Created: 2026-12-03

Duplicates skipped and invalid offspring rejected are counted while a
campaign proposes candidates; they are not rows anywhere else, so a resumed
campaign needs them stored to report the whole run.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("stats", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("stats")
