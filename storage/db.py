"""Engine creation and schema upgrades; callers open sessions with `with Session(engine) as session:`."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from pantau.storage.bulk_load import finish_interrupted_load

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class DatabaseError(Exception):
    """The database cannot be reached or used; the message is one line for the user."""


class DatabaseUnreachable(DatabaseError):
    """The server (or file) cannot be connected to now; it may come back, unlike a missing schema."""


def _enable_sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str, *, echo: bool = False, pool_size: int = 5) -> Engine:
    """Create an engine; SQLite gets WAL and foreign keys, PostgreSQL goes through psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(f"invalid database URL {url!r}") from None
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, echo=echo, connect_args={"timeout": 30})
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        return engine
    return create_engine(
        parsed, echo=echo, pool_pre_ping=True, pool_size=pool_size, connect_args={"connect_timeout": 10}
    )


def describe(engine: Engine) -> str:
    """The URL with any password hidden, fit for logs and messages."""
    return engine.url.render_as_string(hide_password=True)


def check_connection(engine: Engine) -> None:
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        read_only = _read_only_sqlite_file(engine)
        if read_only is not None:
            raise DatabaseError(f"the database file {read_only} is read-only for this user ({reason})") from None
        raise DatabaseUnreachable(f"cannot reach the database {describe(engine)}: {reason}") from None


def _read_only_sqlite_file(engine: Engine) -> Path | None:
    """The SQLite file when it (or its directory) cannot be written by this process, else None."""
    if engine.url.get_backend_name() != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        return None
    path = Path(engine.url.database)
    if path.exists() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        return path
    return None


def alembic_config(engine: Engine):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or migrate the schema to `revision`."""
    from alembic import command

    check_connection(engine)
    try:
        finish_interrupted_load(engine)  # migrations expect every index of the post table in place
        command.upgrade(alembic_config(engine), revision)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise DatabaseError(f"migration failed on {describe(engine)}: {reason}") from None


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()  # type: ignore[arg-type]


def ensure_schema(engine: Engine) -> None:
    """Refuse to work on a database that was never upgraded or is behind the code; finish an interrupted bulk import."""
    check_connection(engine)
    read_only = _read_only_sqlite_file(engine)
    if read_only is not None:
        raise DatabaseError(
            f"the database file {read_only} is read-only for this user; Pantau writes to it, "
            "and to its directory for the -wal and -shm files"
        )
    if "post" not in inspect(engine).get_table_names():
        raise DatabaseError(f"the database {describe(engine)} has no Pantau schema; run `pantau db upgrade`")
    if current_revision(engine) != head_revision():
        raise DatabaseError(f"the database {describe(engine)} is behind this version; run `pantau db upgrade`")
    finish_interrupted_load(engine)
