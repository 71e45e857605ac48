"""crawl runs count links to articles already stored apart from stored copies

Revision ID: 0005_seen_counter
Revises: 0004_semantic
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_seen_counter"
down_revision = "0004_semantic"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite and PostgreSQL both have it): no table copy.
    op.add_column("crawl_runs", sa.Column("articles_seen", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_column("articles_seen")
