"""deliveries: target chat and topic, the part on the wire, deferral time

Revision ID: 0003_deliver
Revises: 0002_daemon_lease
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crawler.storage.models

revision = "0003_deliver"
down_revision = "0002_daemon_lease"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("target_chat_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("target_thread_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("sending_part", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("not_before", crawler.storage.models.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("not_before")
        batch.drop_column("sending_part")
        batch.drop_column("target_thread_id")
        batch.drop_column("target_chat_id")
