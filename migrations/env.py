"""Alembic environment: runs against the engine handed over by pantau.storage.db.upgrade."""

from alembic import context
from sqlmodel import SQLModel

import pantau.storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)

target_metadata = SQLModel.metadata
SCHEDULER_TABLES = {"apscheduler_jobs"}
"""Created and owned by APScheduler's job store (pantau.scheduler); autogenerate must leave them alone."""
TEXT_SEARCH_OBJECTS = ("post_fts", "ix_post_text_redacted_trgm")
"""The text-search index of migration 0007 (FTS5 table and its shadow tables, pg_trgm index): raw SQL, no model.
A batch migration that recreates `post` on SQLite drops the post_fts_* triggers; recreate them as 0007 does."""


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    if name and name.startswith(TEXT_SEARCH_OBJECTS):
        return False
    return not (type_ == "table" and name in SCHEDULER_TABLES)


def run_migrations() -> None:
    engine = context.config.attributes.get("engine")
    if engine is None:
        from pantau.core.config import load_settings
        from pantau.storage.db import make_engine

        engine = make_engine(load_settings().database_url)
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object,
        )
        context.run_migrations()


run_migrations()
