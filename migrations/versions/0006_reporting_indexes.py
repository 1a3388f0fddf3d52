"""reporting indexes: covering post_label(created_at, label, source) and post(status, created_at, needs_review)

Measured at 1,000,000 posts (bench/queries.py): trend counts filter post_label by time range, label
and source, so PostgreSQL can answer them from the index alone (index-only scan) instead of visiting
the table; the digest's open-backlog count groups posts by status, age and review flag, which the
wider status index now covers on both databases. Both replace narrower indexes of the same name.

Revision ID: 0006_reporting_indexes
Revises: 0005_label_priority
Create Date: 2026-11-28 02:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_reporting_indexes"
down_revision: str | None = "0005_label_priority"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("post_label", schema=None) as batch_op:
        batch_op.drop_index("ix_post_label_created_at")
        batch_op.create_index("ix_post_label_created_at", ["created_at", "label", "source"], unique=False)
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index("ix_post_status_created_at")
        batch_op.create_index("ix_post_status_created_at", ["status", "created_at", "needs_review"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index("ix_post_status_created_at")
        batch_op.create_index("ix_post_status_created_at", ["status", "created_at"], unique=False)
    with op.batch_alter_table("post_label", schema=None) as batch_op:
        batch_op.drop_index("ix_post_label_created_at")
        batch_op.create_index("ix_post_label_created_at", ["created_at"], unique=False)
