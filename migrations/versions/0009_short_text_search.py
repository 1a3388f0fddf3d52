"""text search of one or two characters from the SQLite trigram index: pad the indexed text, add a vocabulary

Trigrams need three characters, so before this revision a search of one or two characters scanned every
post (1-2 s at 1,000,000 when it matched little). Now the index holds each redacted text followed by two
U+001E characters (control characters never survive normalisation, so the padding cannot be searched
for): every occurrence of a short search is then the start of at least one indexed trigram, and the
trigrams starting with it are a range of the index's vocabulary (`post_fts_vocab`, an fts5vocab table),
which storage/text_search.py turns into one MATCH of those trigrams.

The FTS5 table's external content becomes the view `post_fts_source` (post.id and the padded text) so
'rebuild' and the triggers index the same padded text; the triggers are recreated to match and the
index is rebuilt from the view. PostgreSQL is unchanged (pg_trgm).

Revision ID: 0009_short_text_search
Revises: 0008_label_count_hour
Create Date: 2026-11-28 07:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_short_text_search"
down_revision: str | None = "0008_label_count_hour"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAD = "char(30, 30)"
PENDING = "SELECT 1 FROM post_fts_pending WHERE id = {}"
TRIGGERS = ("post_fts_update", "post_fts_delete", "post_fts_insert_deferred", "post_fts_insert")


def _triggers(text: str) -> tuple[str, ...]:
    """0007's triggers, indexing `text` (an expression of `{row}`: new or old) instead of the bare column."""
    new, old = text.format(row="new"), text.format(row="old")
    return (
        f"CREATE TRIGGER post_fts_insert AFTER INSERT ON post WHEN NOT EXISTS ({PENDING.format(0)}) BEGIN "
        f"INSERT INTO post_fts (rowid, text_redacted) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER post_fts_insert_deferred AFTER INSERT ON post WHEN EXISTS ({PENDING.format(0)}) BEGIN "
        "INSERT OR IGNORE INTO post_fts_pending (id) VALUES (new.id); END",
        "CREATE TRIGGER post_fts_delete AFTER DELETE ON post BEGIN "
        f"INSERT INTO post_fts (post_fts, rowid, text_redacted) SELECT 'delete', old.id, {old} "
        f"WHERE NOT EXISTS ({PENDING.format('old.id')}); "
        "DELETE FROM post_fts_pending WHERE id = old.id; END",
        "CREATE TRIGGER post_fts_update AFTER UPDATE OF text_redacted ON post "
        f"WHEN old.text_redacted IS NOT new.text_redacted AND NOT EXISTS ({PENDING.format('old.id')}) BEGIN "
        f"INSERT INTO post_fts (post_fts, rowid, text_redacted) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO post_fts (rowid, text_redacted) VALUES (new.id, {new}); END",
    )


def _replace_index(content: str, text: str) -> None:
    bind = op.get_bind()
    for trigger in TRIGGERS:
        bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
    bind.exec_driver_sql("DROP TABLE IF EXISTS post_fts")
    bind.exec_driver_sql(
        f"CREATE VIRTUAL TABLE post_fts USING fts5(text_redacted, content='{content}', content_rowid='id', "
        "tokenize='trigram')"
    )
    for statement in _triggers(text):
        bind.exec_driver_sql(statement)
    bind.exec_driver_sql("INSERT INTO post_fts (post_fts) VALUES ('rebuild')")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    bind.exec_driver_sql(f"CREATE VIEW post_fts_source AS SELECT id, text_redacted || {PAD} AS text_redacted FROM post")
    _replace_index("post_fts_source", "{row}.text_redacted || " + PAD)
    bind.exec_driver_sql("CREATE VIRTUAL TABLE post_fts_vocab USING fts5vocab(post_fts, 'row')")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    bind.exec_driver_sql("DROP TABLE IF EXISTS post_fts_vocab")
    _replace_index("post", "{row}.text_redacted")
    bind.exec_driver_sql("DROP VIEW IF EXISTS post_fts_source")
