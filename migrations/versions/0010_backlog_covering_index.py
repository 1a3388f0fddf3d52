"""open backlog from the index alone on PostgreSQL: ix_post_status_created_at carries primary_label,
corrected_labels and id

The digest counts open complaint posts by status, age and review flag. The index on (status, created_at,
needs_review) finds them, but whether a post is a complaint (its primary label, or its corrected labels)
was read from the table row by row: 2.6 s for 1.1 million open posts at 10,000,000. With those columns in
the index (INCLUDE: stored in its leaves, not part of its key) PostgreSQL answers from the index alone
(0.7 s there). SQLite has no INCLUDE and keeps the plain index.

Revision ID: 0010_backlog_covering_index
Revises: 0009_short_text_search
Create Date: 2026-11-28 08:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_backlog_covering_index"
down_revision: str | None = "0009_short_text_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_post_status_created_at"
KEY = "post (status, created_at, needs_review)"


def _recreate(include: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    bind.exec_driver_sql(f"DROP INDEX IF EXISTS {NAME}")
    bind.exec_driver_sql(f"CREATE INDEX {NAME} ON {KEY}{include}")


def upgrade() -> None:
    _recreate(" INCLUDE (primary_label, corrected_labels, id)")


def downgrade() -> None:
    _recreate("")
