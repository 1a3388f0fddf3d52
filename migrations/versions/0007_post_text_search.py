"""post text search index: FTS5 trigram table on SQLite, pg_trgm GIN index on PostgreSQL

The queue's text filter (`q`) is a case-insensitive substring of post.text_redacted. Without an index
a search that matches little scans every post (1-3 s at 1,000,000 on SQLite). Both databases now keep
a trigram index of the redacted text, so a search of three characters or more reads only candidate
posts; shorter searches still scan (docs/web.md).

SQLite: `post_fts`, an external-content FTS5 table (content is post.text_redacted, rowid is post.id)
with the trigram tokenizer, kept in step by triggers on post insert, delete and text update, so every
insert path (ORM, the executemany fast path, raw SQL) is covered. Row-by-row FTS5 writes from a trigger
cost ~5x more than one INSERT ... SELECT (FTS5 flushes to disk at every statement's savepoint), so a bulk
insert may defer them: while `post_fts_pending` holds the marker id 0, the insert trigger only notes new
ids there, and the block that set the marker indexes them in one statement before it ends.

PostgreSQL: the pg_trgm extension (created in schema `public` unless it is installed already; a trusted
extension, so a database owner may create it) and a GIN index on post.text_redacted that ILIKE uses.
Existing rows are indexed here.

Revision ID: 0007_post_text_search
Revises: 0006_reporting_indexes
Create Date: 2026-11-30 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_post_text_search"
down_revision: str | None = "0006_reporting_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = "SELECT 1 FROM post_fts_pending WHERE id = {}"
SQLITE_UPGRADE = (
    "CREATE VIRTUAL TABLE post_fts USING fts5(text_redacted, content='post', content_rowid='id', tokenize='trigram')",
    # Posts noted during a bulk insert, indexed in one statement at its end; id 0 is the marker that says
    # "defer now" (storage/text_search.py: deferred_indexing). Outside such a block the table is empty.
    "CREATE TABLE post_fts_pending (id INTEGER PRIMARY KEY)",
    f"CREATE TRIGGER post_fts_insert AFTER INSERT ON post WHEN NOT EXISTS ({PENDING.format(0)}) BEGIN "
    "INSERT INTO post_fts (rowid, text_redacted) VALUES (new.id, new.text_redacted); END",
    f"CREATE TRIGGER post_fts_insert_deferred AFTER INSERT ON post WHEN EXISTS ({PENDING.format(0)}) BEGIN "
    "INSERT OR IGNORE INTO post_fts_pending (id) VALUES (new.id); END",
    "CREATE TRIGGER post_fts_delete AFTER DELETE ON post BEGIN "
    "INSERT INTO post_fts (post_fts, rowid, text_redacted) SELECT 'delete', old.id, old.text_redacted "
    f"WHERE NOT EXISTS ({PENDING.format('old.id')}); "
    "DELETE FROM post_fts_pending WHERE id = old.id; END",
    "CREATE TRIGGER post_fts_update AFTER UPDATE OF text_redacted ON post "
    f"WHEN old.text_redacted IS NOT new.text_redacted AND NOT EXISTS ({PENDING.format('old.id')}) BEGIN "
    "INSERT INTO post_fts (post_fts, rowid, text_redacted) VALUES ('delete', old.id, old.text_redacted); "
    "INSERT INTO post_fts (rowid, text_redacted) VALUES (new.id, new.text_redacted); END",
    "INSERT INTO post_fts (post_fts) VALUES ('rebuild')",
)
SQLITE_DOWNGRADE = (
    "DROP TRIGGER IF EXISTS post_fts_update",
    "DROP TRIGGER IF EXISTS post_fts_delete",
    "DROP TRIGGER IF EXISTS post_fts_insert_deferred",
    "DROP TRIGGER IF EXISTS post_fts_insert",
    "DROP TABLE IF EXISTS post_fts_pending",
    "DROP TABLE IF EXISTS post_fts",
)
POSTGRES_INDEX = "ix_post_text_redacted_trgm"


def _pg_trgm_schema() -> str:
    """The schema pg_trgm lives in, installing it into `public` first when it is missing."""
    bind = op.get_bind()
    query = "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"
    schema = bind.exec_driver_sql(query).scalar()
    if schema is None:
        # Not the test's or tenant's own schema: dropping that schema must not take the extension along.
        public = bind.exec_driver_sql("SELECT 1 FROM pg_namespace WHERE nspname = 'public'").scalar()
        target = " SCHEMA public" if public else ""
        bind.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS pg_trgm{target}")
        schema = bind.exec_driver_sql(query).scalar()
    return str(schema)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_UPGRADE:
            bind.exec_driver_sql(statement)
        return
    schema = _pg_trgm_schema()
    bind.exec_driver_sql(f"CREATE INDEX {POSTGRES_INDEX} ON post USING gin (text_redacted {schema}.gin_trgm_ops)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_DOWNGRADE:
            bind.exec_driver_sql(statement)
        return
    # The extension stays: other schemas or applications of this database may use it.
    bind.exec_driver_sql(f"DROP INDEX IF EXISTS {POSTGRES_INDEX}")
