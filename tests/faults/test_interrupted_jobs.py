"""A job killed mid-run leaves its job_run row `running`; the next run of that job closes it as interrupted."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

from sqlalchemy import Engine, select
from sqlmodel import Session

from faults.processes import kill9, wait_until
from pantau.pipeline.jobrecord import JobResult, record_job
from pantau.storage.models import JobRun

HANGING_JOB = textwrap.dedent(
    """
    import sys, time
    from pantau.pipeline.jobrecord import JobResult, record_job
    from pantau.storage.db import make_engine

    def hang() -> JobResult:
        print("working", flush=True)
        time.sleep(600)
        return JobResult(True, "never")

    record_job(make_engine(sys.argv[1]), "digest", hang)
    """
)


def _runs(engine: Engine) -> list[JobRun]:
    with Session(engine) as session:
        return list(session.execute(select(JobRun).order_by(JobRun.id)).scalars())


def test_the_next_run_closes_a_killed_run_and_leaves_other_jobs_alone(engine: Engine, database_url: str) -> None:
    with Session(engine) as session:
        session.add(JobRun(job_id="alerts"))  # another job's run in progress: not this job's business
        session.commit()
    worker = subprocess.Popen(
        [sys.executable, "-c", HANGING_JOB, database_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    wait_until(lambda: any(r.job_id == "digest" and r.status == "running" for r in _runs(engine)), worker, timeout=60)
    kill9(worker)

    # PostgreSQL frees the dead session's advisory lock when its backend notices the closed socket, a moment
    # after the kill; until then the job is skipped (not recorded), as a scheduled run would be.
    deadline = time.monotonic() + 30
    while (result := record_job(engine, "digest", lambda: JobResult(True, "digest written"))).details.get("skipped"):
        assert time.monotonic() < deadline, "the killed worker's job lock was never released"
        time.sleep(0.1)

    assert result.ok
    alerts, killed, rerun = _runs(engine)
    assert (alerts.job_id, alerts.status) == ("alerts", "running")
    assert killed.job_id == "digest" and killed.status == "failed" and killed.finished_at is not None
    assert killed.error.startswith("interrupted:")
    assert (rerun.job_id, rerun.status, rerun.details["summary"]) == ("digest", "ok", "digest written")
