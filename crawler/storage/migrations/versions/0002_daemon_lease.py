"""the daemon lease: one daemon per database

Revision ID: 0002_daemon_lease
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crawler.storage.models

revision = "0002_daemon_lease"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "daemon_leases",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("holder", sa.String(length=300), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("acquired_at", crawler.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("renewed_at", crawler.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", crawler.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_daemon_leases")),
    )


def downgrade() -> None:
    op.drop_table("daemon_leases")
