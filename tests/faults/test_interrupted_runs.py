"""Runs left `running` by a dead process are closed as failed (interrupted) when the source runs next."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import Engine, select
from sqlmodel import Session

from pantau.collector.runner import start_run
from pantau.storage.models import CollectionRun, utcnow


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_only_runs_whose_process_is_gone_are_marked_interrupted(sqlite_engine: Engine) -> None:
    here, now = socket.gethostname(), utcnow()
    left = {
        "killed here": ({"host": here, "pid": dead_pid()}, now - timedelta(minutes=5)),
        "alive here": ({"host": here, "pid": os.getppid()}, now - timedelta(minutes=5)),
        "elsewhere, recent": ({"host": "collector-2", "pid": 4242}, now - timedelta(hours=2)),
        "elsewhere, a day old": ({"host": "collector-2", "pid": 4242}, now - timedelta(hours=25)),
        "before runs recorded their process": (None, now - timedelta(days=3)),
    }
    with Session(sqlite_engine) as session:
        for name, (process, started) in left.items():
            details = {"process": process, "name": name} if process else {"name": name}
            session.add(CollectionRun(source="x_jmo", source_type="x", started_at=started, details=details))
        session.add(CollectionRun(source="other", source_type="x", started_at=now - timedelta(days=3)))
        session.commit()

    start_run(sqlite_engine, "x_jmo", "x")

    with Session(sqlite_engine) as session:
        runs = session.execute(select(CollectionRun).order_by(CollectionRun.id)).scalars().all()
    *earlier, new = runs
    status = {run.details.get("name") or run.source: run.status for run in earlier}
    assert status == {
        "killed here": "failed",
        "alive here": "running",
        "elsewhere, recent": "running",
        "elsewhere, a day old": "failed",
        "before runs recorded their process": "failed",
        "other": "running",
    }
    interrupted = [run for run in earlier if run.status == "failed"]
    assert all(run.error.startswith("interrupted:") and run.finished_at for run in interrupted)
    assert new.status == "running" and new.details["process"] == {"host": here, "pid": os.getpid()}
