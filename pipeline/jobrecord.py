"""Run a unit of work as a recorded job: a job_run row per execution, failures logged, never raised."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from pantau.storage.jobruns import finish_job_run, start_job_run
from pantau.storage.models import JobRun

log = logging.getLogger(__name__)


@dataclass(slots=True)
class JobResult:
    ok: bool
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def record_job(engine: Engine, job_id: str, work: Callable[[], JobResult]) -> JobResult:
    """Execute `work`; its outcome (or the exception, as one line) is stored on a job_run row."""
    run: JobRun | None = None
    try:
        with Session(engine) as session:
            run = start_job_run(session, job_id)
    except SQLAlchemyError as exc:
        log.error("job %s: cannot record its start: %s", job_id, one_line(getattr(exc, "orig", None) or exc))
    try:
        result = work()
    except Exception as exc:
        log.exception("job %s failed", job_id)
        result = JobResult(False, one_line(exc))
    if not result.ok:
        log.warning("job %s: %s", job_id, result.summary)
    if run is not None:
        try:
            with Session(engine) as session:
                finish_job_run(
                    session,
                    run,
                    "ok" if result.ok else "failed",
                    error=None if result.ok else result.summary,
                    details={"summary": result.summary, **result.details},
                )
        except SQLAlchemyError as exc:
            log.error("job %s: cannot record its end: %s", job_id, one_line(getattr(exc, "orig", None) or exc))
    return result
