"""The scheduler's loop survives a job store that fails after handing out due jobs (database gone mid-round)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import OperationalError

from pantau.scheduler import ResilientScheduler

RUNS: list[float] = []


def tick() -> None:
    RUNS.append(time.monotonic())


class StoreThatLosesItsDatabaseOnce(MemoryJobStore):
    """Hands out due jobs, then fails to save their next run time once, as when PostgreSQL restarts."""

    def __init__(self) -> None:
        super().__init__()
        self.failures = 0

    def update_job(self, job) -> None:  # type: ignore[no-untyped-def]
        if self.failures:
            self.failures -= 1
            raise OperationalError("UPDATE apscheduler_jobs", {}, Exception("server closed the connection"))
        super().update_job(job)


def run_briefly(scheduler_class: type[BackgroundScheduler]) -> tuple[bool, int]:
    RUNS.clear()
    store = StoreThatLosesItsDatabaseOnce()
    scheduler = scheduler_class(jobstores={"default": store}, jobstore_retry_interval=0.5)
    scheduler.start(paused=True)
    scheduler.add_job(tick, "interval", seconds=0.3, id="tick", next_run_time=datetime.now(UTC))
    store.failures = 1
    scheduler.resume()
    time.sleep(2.5)
    alive = scheduler._thread.is_alive()  # type: ignore[attr-defined]
    runs = len(RUNS)
    scheduler.shutdown(wait=False)
    return alive, runs


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_apschedulers_own_loop_thread_dies_on_that_error() -> None:
    alive, runs = run_briefly(BackgroundScheduler)
    assert not alive and runs <= 1


def test_pantaus_scheduler_logs_it_and_keeps_running_jobs() -> None:
    alive, runs = run_briefly(ResilientScheduler)
    assert alive and runs >= 3
