"""Work that only one Pantau process may do at a time (collect a source, judge alerts, deliver).

Several `pantau run` workers may share one database: classification is split between them with row
locks (SKIP LOCKED), but a step such as the alert check must not run twice at once, or it would open
the same alert twice. `exclusive` takes a lock named after the step, without waiting: PostgreSQL's
session-level advisory lock (keyed by schema and name) or, on SQLite, an flock on a file beside the
database. Either is released when the holder ends, killed or not, so a dead worker never blocks the
others. A worker that finds the lock taken skips the step; the holder is doing it.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError


@contextmanager
def exclusive(engine: Engine, name: str) -> Iterator[bool]:
    """Yield True while this process holds the lock `name`, or False at once when another process does."""
    backend = engine.url.get_backend_name()
    if backend == "postgresql":
        with _advisory_lock(engine, name) as held:
            yield held
    elif backend == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        with _file_lock(Path(str(engine.url.database)), name) as held:
            yield held
    else:
        yield True


@contextmanager
def _advisory_lock(engine: Engine, name: str) -> Iterator[bool]:
    key = "hashtextextended(current_schema() || ':pantau:' || :name, 0)"
    with engine.connect() as connection:
        held = bool(connection.execute(text(f"SELECT pg_try_advisory_lock({key})"), {"name": name}).scalar())
        connection.commit()
        try:
            yield held
        finally:
            if held:
                # If the server went away meanwhile the lock went with the session: nothing to release.
                with suppress(SQLAlchemyError):
                    connection.execute(text(f"SELECT pg_advisory_unlock({key})"), {"name": name})
                    connection.commit()


@contextmanager
def _file_lock(database: Path, name: str) -> Iterator[bool]:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    lock_path = database.with_name(f"{database.name}.{safe}.lock")
    try:
        descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield True  # a read-only directory: no other writer can be working there either
        return
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)
