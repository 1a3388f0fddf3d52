"""PostgreSQL stopped under Pantau and started again: clear errors, recorded failures, a scheduler that lives on.

The server is a private throwaway cluster (see throwaway_postgres.py), so stopping it never disturbs
other tests using the shared server.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import Session

from faults.processes import run, start
from faults.throwaway_postgres import SharedPostgres, ThrowawayPostgres
from pantau.pipeline import jobrecord, jobs
from pantau.storage.db import make_engine, upgrade
from pantau.storage.models import JobRun, Post
from support import DEMO_STREAM, write_config


class Output:
    """Lines a process writes, read by threads so the test can wait for one."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        for stream in (process.stdout, process.stderr):
            threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:  # type: ignore[no-untyped-def]
        for line in stream:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, predicate: Callable[[str], bool], timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if predicate(line):
                    return line
            time.sleep(0.1)
        raise AssertionError(f"no such line within {timeout} s; got: {self.lines[-20:]}")


@pytest.mark.slow
@pytest.mark.pg_outage
def test_an_outage_gives_one_line_errors_recorded_failures_and_a_scheduler_that_recovers(
    tmp_path: Path, restartable_postgres: ThrowawayPostgres | SharedPostgres
) -> None:
    server = restartable_postgres
    config = write_config(
        tmp_path,
        server.url,
        sources=[{"name": "demo", "type": "demo", "enabled": True, "path": str(DEMO_STREAM), "max_posts_per_run": 40}],
        schedule={"classify_after_collect": False},
    )
    engine = make_engine(server.url)
    upgrade(engine)
    jobrecord.UNRECORDED.clear()

    server.stop()
    try:
        once = run(config, "run", "--once", timeout=120)
        scheduler = start(config, "run")
        output = Output(scheduler)
        output.wait_for(lambda line: "retrying in" in line, timeout=120)
        jobs.collect_job(str(config), "demo")  # a scheduled job while the database is down: no exception
        assert len(jobrecord.UNRECORDED) == 1
    finally:
        server.start()

    assert once.returncode == 1
    [line] = [line for line in once.stderr.splitlines() if line.strip()]
    assert line.startswith(
        f"error: cannot reach the database postgresql+psycopg://postgres@127.0.0.1:{server_port(server)}"
    )

    output.wait_for(lambda line: "pantau scheduler started" in line, timeout=120)
    assert scheduler.poll() is None
    jobs.collect_job(str(config), "demo")
    with Session(engine) as session:
        runs = list(session.execute(select(JobRun).order_by(JobRun.id)).scalars())
        stored = len(session.execute(select(Post.id)).all())
    outcomes = [(run.job_id, run.status) for run in runs]
    assert ("scheduler", "failed") in outcomes
    startup = next(run for run in runs if run.job_id == "scheduler")
    assert startup.error.startswith("database unreachable at start for")
    late = [run for run in runs if run.job_id == "collect:demo" and run.status == "failed"]
    assert len(late) == 1 and late[0].details["recorded_late"] is True
    assert ("collect:demo", "ok") in outcomes and stored == 40

    scheduler.send_signal(signal.SIGTERM)
    scheduler.wait(timeout=60)
    assert scheduler.returncode == 0
    engine.dispose()


def server_port(server: ThrowawayPostgres | SharedPostgres) -> str:
    return server.url.split("@127.0.0.1:")[1].split("/")[0]
