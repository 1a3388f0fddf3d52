"""label_row: labelled texts imported from outside triage (Label Studio, spreadsheets) for training exports

One row per text (text_key = sha256 of the text normalised for matching); `pantau labels import`
upserts, `pantau labels export` merges these with triage corrections and the shipped corpus.

Revision ID: 0004_label_row
Revises: 0003_queue_keyset_indexes
Create Date: 2026-11-28 00:20:50.809385
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0004_label_row"
down_revision: str | None = "0003_queue_keyset_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "label_row",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("primary_label", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("labelled_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("labelled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("imported_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("text_key", name="uq_label_row_text_key"),
    )


def downgrade() -> None:
    op.drop_table("label_row")
