"""queue keyset indexes: (created_at, id) and (confidence, id) on post

The triage queue pages by keyset on (sort column, id). SQLite already appends the rowid to every
index, but PostgreSQL needs the id in the index to walk it in order from a cursor, so the two
single-column indexes become two-column ones under the same names.

Revision ID: 0003_queue_keyset_indexes
Revises: 0002_delivery_retry
Create Date: 2026-11-29 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003_queue_keyset_indexes"
down_revision: str | None = "0002_delivery_retry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index("ix_post_created_at")
        batch_op.drop_index("ix_post_confidence")
        batch_op.create_index("ix_post_created_at", ["created_at", "id"], unique=False)
        batch_op.create_index("ix_post_confidence", ["confidence", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index("ix_post_confidence")
        batch_op.drop_index("ix_post_created_at")
        batch_op.create_index("ix_post_confidence", ["confidence"], unique=False)
        batch_op.create_index("ix_post_created_at", ["created_at"], unique=False)
