"""Run a unit of work as a recorded job: a job_run row per execution, failures logged, never raised."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from pantau.storage.jobruns import close_interrupted_job_runs, finish_job_run, start_job_run
from pantau.storage.locks import exclusive
from pantau.storage.models import JobRun, utcnow

log = logging.getLogger(__name__)

UNRECORDED: deque[JobRun] = deque(maxlen=200)
"""Runs that ended while the database was unreachable; the next job that reaches it writes them."""


@dataclass(slots=True)
class JobResult:
    ok: bool
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def record_job(engine: Engine, job_id: str, work: Callable[[], JobResult]) -> JobResult:
    """Execute `work`; its outcome (or the exception, as one line) is stored on a job_run row.

    Only one process runs a job at a time (storage.locks): when another worker holds it, this returns
    at once, records nothing and reports the job as skipped. When the database cannot be reached the
    outcome is kept in memory and written by the next job that can reach it, so an outage still leaves
    its failed runs in job_run.
    """
    with ExitStack() as stack:
        try:
            locked = held = stack.enter_context(exclusive(engine, f"job:{job_id}"))
        except SQLAlchemyError:
            locked, held = False, True  # the database is unreachable: the job runs, fails, its run is kept for later
        if not held:
            log.info("job %s: another worker is running it; skipped", job_id)
            return JobResult(True, "skipped: another worker is running this job", {"skipped": True})
        return _run_and_record(engine, job_id, work, locked=locked)


def _run_and_record(engine: Engine, job_id: str, work: Callable[[], JobResult], *, locked: bool) -> JobResult:
    run: JobRun | None = None
    started = utcnow()
    try:
        with Session(engine) as session:
            if locked and (interrupted := close_interrupted_job_runs(session, job_id)):
                log.warning("job %s: %d earlier run(s) were interrupted; marked failed", job_id, interrupted)
            run = start_job_run(session, job_id)
        write_unrecorded(engine)
    except SQLAlchemyError as exc:
        log.error("job %s: cannot record its start: %s", job_id, one_line(getattr(exc, "orig", None) or exc))
    try:
        result = work()
    except Exception as exc:
        log.exception("job %s failed", job_id)
        result = JobResult(False, one_line(exc))
    if not result.ok:
        log.warning("job %s: %s", job_id, result.summary)
    status, error = ("ok", None) if result.ok else ("failed", result.summary)
    details = {"summary": result.summary, **result.details}
    if run is not None:
        try:
            with Session(engine) as session:
                finish_job_run(session, run, status, error=error, details=details)
            return result
        except SQLAlchemyError as exc:
            log.error("job %s: cannot record its end: %s", job_id, one_line(getattr(exc, "orig", None) or exc))
    late = run or JobRun(job_id=job_id, started_at=started)
    late.status, late.error, late.finished_at = status, error, utcnow()
    late.details = {**details, "recorded_late": True}
    UNRECORDED.append(late)
    return result


def write_unrecorded(engine: Engine) -> int:
    """Store the runs kept while the database was unreachable (oldest first); returns how many."""
    written = 0
    while UNRECORDED:
        with Session(engine) as session:
            session.merge(UNRECORDED[0])
            session.commit()
        UNRECORDED.popleft()
        written += 1
    if written:
        log.warning("recorded %d job run(s) that ended while the database was unreachable", written)
    return written
