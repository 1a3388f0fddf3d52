"""hourly counts: label_count_hour and model_count_hour, kept exact by triggers on post_label and post

Trend, digest and alert queries count effective labels per hour. Reading post_label row by row costs
seconds for long ranges at 1,000,000 posts (a year by week: ~4 s idle, 19 s on a loaded box); this table
holds the count per (UTC hour since the epoch, label, source) so a year is ~9,000 rows per label.
Triggers keep it exact on every insert, delete and update of post_label, whatever path writes it
(classification, triage corrections, retention's cascaded deletes, raw SQL). On PostgreSQL they are
statement-level with transition tables, one grouped upsert per statement in key order, so concurrent
classifier workers add to the same hour without deadlocking. model_count_hour does the same for
classified posts per (hour, source, model version), which trend outputs list beside the counts.
Existing rows are counted here.

Revision ID: 0008_label_count_hour
Revises: 0007_post_text_search
Create Date: 2026-11-28 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_label_count_hour"
down_revision: str | None = "0007_post_text_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_HOUR = "CAST(strftime('%s', {row}.created_at) AS INTEGER) / 3600"
SQLITE_ADD = (
    "INSERT INTO label_count_hour (hour, label, source, posts) VALUES ({hour}, {row}.label, {row}.source, {delta}) "
    "ON CONFLICT (hour, label, source) DO UPDATE SET posts = posts + excluded.posts"
)


def _sqlite_change(row: str, delta: str) -> str:
    return SQLITE_ADD.format(hour=SQLITE_HOUR.format(row=row), row=row, delta=delta)


SQLITE_UPGRADE = (
    "CREATE TRIGGER post_label_count_insert AFTER INSERT ON post_label BEGIN " + _sqlite_change("new", "1") + "; END",
    "CREATE TRIGGER post_label_count_delete AFTER DELETE ON post_label BEGIN " + _sqlite_change("old", "-1") + "; END",
    "CREATE TRIGGER post_label_count_update AFTER UPDATE OF created_at, label, source ON post_label BEGIN "
    + _sqlite_change("old", "-1")
    + "; "
    + _sqlite_change("new", "1")
    + "; END",
)
SQLITE_MODEL_ADD = (
    "INSERT INTO model_count_hour (hour, source, model_version, posts) "
    "VALUES ({hour}, {row}.source, {row}.model_version, {delta}) "
    "ON CONFLICT (hour, source, model_version) DO UPDATE SET posts = posts + excluded.posts"
)


def _sqlite_model_change(row: str, delta: str) -> str:
    return SQLITE_MODEL_ADD.format(hour=SQLITE_HOUR.format(row=row), row=row, delta=delta)


SQLITE_UPGRADE += (
    "CREATE TRIGGER post_model_count_insert AFTER INSERT ON post WHEN new.model_version IS NOT NULL BEGIN "
    + _sqlite_model_change("new", "1")
    + "; END",
    "CREATE TRIGGER post_model_count_delete AFTER DELETE ON post WHEN old.model_version IS NOT NULL BEGIN "
    + _sqlite_model_change("old", "-1")
    + "; END",
    "CREATE TRIGGER post_model_count_forget AFTER UPDATE OF model_version, created_at, source ON post "
    "WHEN old.model_version IS NOT NULL BEGIN " + _sqlite_model_change("old", "-1") + "; END",
    "CREATE TRIGGER post_model_count_count AFTER UPDATE OF model_version, created_at, source ON post "
    "WHEN new.model_version IS NOT NULL BEGIN " + _sqlite_model_change("new", "1") + "; END",
)
SQLITE_DOWNGRADE = (
    "DROP TRIGGER IF EXISTS post_model_count_count",
    "DROP TRIGGER IF EXISTS post_model_count_forget",
    "DROP TRIGGER IF EXISTS post_model_count_delete",
    "DROP TRIGGER IF EXISTS post_model_count_insert",
    "DROP TRIGGER IF EXISTS post_label_count_update",
    "DROP TRIGGER IF EXISTS post_label_count_delete",
    "DROP TRIGGER IF EXISTS post_label_count_insert",
)

PG_HOUR = "floor(extract(epoch FROM created_at) / 3600)::integer"


def _pg_function(name: str, changes: str) -> str:
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO label_count_hour (hour, label, source, posts) "
        f"SELECT hour, label, source, sum(delta) FROM ({changes}) AS changes "
        "GROUP BY hour, label, source ORDER BY hour, label, source "
        "ON CONFLICT (hour, label, source) DO UPDATE SET posts = label_count_hour.posts + EXCLUDED.posts; "
        "RETURN NULL; END $$"
    )


PG_ADDED = f"SELECT {PG_HOUR} AS hour, label, source, 1 AS delta FROM new_labels"
PG_REMOVED = f"SELECT {PG_HOUR} AS hour, label, source, -1 AS delta FROM old_labels"
PG_UPGRADE = (
    _pg_function("pantau_label_count_insert", PG_ADDED),
    _pg_function("pantau_label_count_delete", PG_REMOVED),
    _pg_function("pantau_label_count_update", f"{PG_ADDED} UNION ALL {PG_REMOVED}"),
    "CREATE TRIGGER post_label_count_insert AFTER INSERT ON post_label REFERENCING NEW TABLE AS new_labels "
    "FOR EACH STATEMENT EXECUTE FUNCTION pantau_label_count_insert()",
    "CREATE TRIGGER post_label_count_delete AFTER DELETE ON post_label REFERENCING OLD TABLE AS old_labels "
    "FOR EACH STATEMENT EXECUTE FUNCTION pantau_label_count_delete()",
    "CREATE TRIGGER post_label_count_update AFTER UPDATE ON post_label "
    "REFERENCING OLD TABLE AS old_labels NEW TABLE AS new_labels "
    "FOR EACH STATEMENT EXECUTE FUNCTION pantau_label_count_update()",
)


def _pg_model_function(name: str, changes: str) -> str:
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO model_count_hour (hour, source, model_version, posts) "
        f"SELECT hour, source, model_version, sum(delta) FROM ({changes}) AS changes "
        "WHERE model_version IS NOT NULL GROUP BY hour, source, model_version "
        "HAVING sum(delta) <> 0 ORDER BY hour, source, model_version "
        "ON CONFLICT (hour, source, model_version) DO UPDATE SET posts = model_count_hour.posts + EXCLUDED.posts; "
        "RETURN NULL; END $$"
    )


PG_POSTS_ADDED = f"SELECT {PG_HOUR} AS hour, source, model_version, 1 AS delta FROM new_posts"
PG_POSTS_REMOVED = f"SELECT {PG_HOUR} AS hour, source, model_version, -1 AS delta FROM old_posts"
PG_UPGRADE += (
    _pg_model_function("pantau_model_count_insert", PG_POSTS_ADDED),
    _pg_model_function("pantau_model_count_delete", PG_POSTS_REMOVED),
    _pg_model_function("pantau_model_count_update", f"{PG_POSTS_ADDED} UNION ALL {PG_POSTS_REMOVED}"),
    "CREATE TRIGGER post_model_count_insert AFTER INSERT ON post REFERENCING NEW TABLE AS new_posts "
    "FOR EACH STATEMENT EXECUTE FUNCTION pantau_model_count_insert()",
    "CREATE TRIGGER post_model_count_delete AFTER DELETE ON post REFERENCING OLD TABLE AS old_posts "
    "FOR EACH STATEMENT EXECUTE FUNCTION pantau_model_count_delete()",
    "CREATE TRIGGER post_model_count_update AFTER UPDATE ON post "
    "REFERENCING OLD TABLE AS old_posts NEW TABLE AS new_posts "
    "FOR EACH STATEMENT EXECUTE FUNCTION pantau_model_count_update()",
)
PG_DOWNGRADE = (
    "DROP TRIGGER IF EXISTS post_model_count_update ON post",
    "DROP TRIGGER IF EXISTS post_model_count_delete ON post",
    "DROP TRIGGER IF EXISTS post_model_count_insert ON post",
    "DROP FUNCTION IF EXISTS pantau_model_count_update()",
    "DROP FUNCTION IF EXISTS pantau_model_count_delete()",
    "DROP FUNCTION IF EXISTS pantau_model_count_insert()",
    "DROP TRIGGER IF EXISTS post_label_count_update ON post_label",
    "DROP TRIGGER IF EXISTS post_label_count_delete ON post_label",
    "DROP TRIGGER IF EXISTS post_label_count_insert ON post_label",
    "DROP FUNCTION IF EXISTS pantau_label_count_update()",
    "DROP FUNCTION IF EXISTS pantau_label_count_delete()",
    "DROP FUNCTION IF EXISTS pantau_label_count_insert()",
)


def upgrade() -> None:
    op.create_table(
        "label_count_hour",
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("hour", "label", "source"),
    )
    op.create_table(
        "model_count_hour",
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=128), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("hour", "source", "model_version"),
    )
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    hour = SQLITE_HOUR.format(row="post_label") if sqlite else PG_HOUR
    bind.exec_driver_sql(
        "INSERT INTO label_count_hour (hour, label, source, posts) "
        f"SELECT {hour}, label, source, count(*) FROM post_label GROUP BY 1, 2, 3"
    )
    hour = SQLITE_HOUR.format(row="post") if sqlite else PG_HOUR
    bind.exec_driver_sql(
        "INSERT INTO model_count_hour (hour, source, model_version, posts) "
        f"SELECT {hour}, source, model_version, count(*) FROM post WHERE model_version IS NOT NULL GROUP BY 1, 2, 3"
    )
    for statement in SQLITE_UPGRADE if bind.dialect.name == "sqlite" else PG_UPGRADE:
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    bind = op.get_bind()
    for statement in SQLITE_DOWNGRADE if bind.dialect.name == "sqlite" else PG_DOWNGRADE:
        bind.exec_driver_sql(statement)
    op.drop_table("model_count_hour")
    op.drop_table("label_count_hour")
