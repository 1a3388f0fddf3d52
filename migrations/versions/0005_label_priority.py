"""post.label_priority: the active-learning rank the triage queue can sort by

Revision ID: 0005_label_priority
Revises: 0004_label_row
Create Date: 2026-11-28 01:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_label_priority"
down_revision: str | None = "0004_label_row"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.add_column(sa.Column("label_priority", sa.Float(), nullable=True))
        batch_op.create_index("ix_post_label_priority", ["label_priority", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index("ix_post_label_priority")
        batch_op.drop_column("label_priority")
