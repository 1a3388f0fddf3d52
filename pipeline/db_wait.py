"""Start the scheduler even while the database is down: wait for it, then record the outage.

A scheduler that exits when PostgreSQL is restarting needs a supervisor to bring it back; this one
retries with a growing delay (1 s, 2 s, ... at most 60 s), says so in one line each time, and once
the database answers stores the outage as a failed `scheduler` job run. SIGTERM/SIGINT during the
wait stop it cleanly. A database that answers but is unusable (no schema, read-only) fails at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from pantau.core.config import Settings
from pantau.storage.db import DatabaseUnreachable, ensure_schema, make_engine
from pantau.storage.jobruns import finish_job_run, start_job_run
from pantau.storage.models import utcnow

STARTUP_JOB = "scheduler"
MAX_DELAY_SECONDS = 60.0


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT while the block runs (previous handlers restored after)."""
    stop = threading.Event()
    previous: dict[int, Any] = {}

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGTERM, signal.SIGINT):
            previous[number] = signal.signal(number, on_signal)
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def wait_for_database(
    settings: Settings,
    stop: threading.Event,
    *,
    say: Callable[[str], None] = print,
    first_delay: float = 1.0,
) -> Engine | None:
    """An engine on a reachable, upgraded database; None when stopped while waiting.

    Raises DatabaseError at once for problems waiting cannot fix (invalid URL, no schema, read-only).
    """
    delay, attempts, first_error = first_delay, 0, ""
    started = utcnow()
    while True:
        engine = make_engine(settings.database_url, echo=settings.database.echo, pool_size=settings.database.pool_size)
        try:
            ensure_schema(engine)
        except DatabaseUnreachable as exc:
            engine.dispose()
            attempts += 1
            first_error = first_error or str(exc)
            say(f"error: {exc}; retrying in {delay:.0f} s")
            if stop.wait(delay):
                return None
            delay = min(delay * 2, MAX_DELAY_SECONDS)
            continue
        if attempts:
            seconds = (utcnow() - started).total_seconds()
            error = f"database unreachable at start for {seconds:.0f} s ({attempts} attempt(s)): {first_error}"
            with Session(engine) as session:
                run = start_job_run(session, STARTUP_JOB)
                run.started_at = started
                finish_job_run(session, run, "failed", error=error, details={"attempts": attempts})
            say(f"the database is reachable again after {seconds:.0f} s; starting")
        return engine
