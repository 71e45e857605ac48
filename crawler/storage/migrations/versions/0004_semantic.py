"""sentence embeddings of an article (title, lead, compared sentences), stored so rejudge does not encode

Revision ID: 0004_semantic
Revises: 0003_deliver
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_semantic"
down_revision = "0003_deliver"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("embedding", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("embedding")
