"""Job runs: one row per execution of a scheduled job (or a `run --once` step that keeps state)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session

from pantau.storage.models import JobRun, utcnow


def start_job_run(session: Session, job_id: str) -> JobRun:
    run = JobRun(job_id=job_id, started_at=utcnow())
    session.add(run)
    session.commit()
    session.refresh(run)
    return run


INTERRUPTED = "interrupted: the process stopped before the job finished (killed or crashed)"


def close_interrupted_job_runs(session: Session, job_id: str) -> int:
    """Mark runs of `job_id` still 'running' as failed (interrupted); returns how many.

    Call only while holding the job's lock (storage.locks): the process that started such a run held it
    too, so if it is free now that process is gone. The caller commits.
    """
    statement = (
        update(JobRun)
        .where(JobRun.job_id == job_id, JobRun.status == "running")
        .values(status="failed", error=INTERRUPTED, finished_at=utcnow())
    )
    return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


def finish_job_run(
    session: Session, run: JobRun, status: str, *, error: str | None = None, details: dict[str, Any] | None = None
) -> None:
    run = session.merge(run)
    run.status = status
    run.error = error
    run.details = dict(details or {})
    run.finished_at = utcnow()
    session.add(run)
    session.commit()


def last_successful_run(session: Session, job_id: str) -> JobRun | None:
    query = select(JobRun).where(JobRun.job_id == job_id, JobRun.status == "ok").order_by(JobRun.id.desc()).limit(1)
    return session.execute(query).scalars().first()


def job_runs(session: Session, job_id: str | None = None) -> list[JobRun]:
    query = select(JobRun).order_by(JobRun.id)
    if job_id is not None:
        query = query.where(JobRun.job_id == job_id)
    return list(session.execute(query).scalars())
