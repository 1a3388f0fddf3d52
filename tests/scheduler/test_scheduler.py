"""The scheduler with its real job store and jobs, driven by a moved clock instead of waiting."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from apscheduler.executors.debug import DebugExecutor
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import Engine, func, select, text
from sqlmodel import Session

from pantau.core.config import Settings, load_settings
from pantau.scheduler import JOBSTORE_TABLE, create_scheduler, describe_jobs, install_jobs
from pantau.storage.db import make_engine, upgrade
from pantau.storage.models import Digest, JobRun
from support import write_config

JAKARTA = ZoneInfo("Asia/Jakarta")
QUIET_SOURCES = [{"name": "demo", "type": "demo", "enabled": False}]


class ManualScheduler(BaseScheduler):
    """Runs due jobs only when asked, in the calling thread: the test moves the clock, then asks."""

    def wakeup(self) -> None:
        pass

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)

    def run_due(self) -> None:
        self._process_jobs()


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=JAKARTA)


class Deployment:
    """One configuration and database; each start() is a fresh process's scheduler on them."""

    def __init__(self, tmp_path: Path, **overrides: Any) -> None:
        document = {"sources": QUIET_SOURCES, "digest": {"formats": ["md"]}, **overrides}
        self.config = write_config(tmp_path, f"sqlite:///{tmp_path / 'pantau.db'}", **document)
        self.settings: Settings = load_settings(self.config)
        self.engine: Engine = make_engine(self.settings.database_url)
        upgrade(self.engine)

    def start(self, settings: Settings | None = None) -> ManualScheduler:
        settings = settings or self.settings
        scheduler = create_scheduler(settings, self.engine, scheduler_class=ManualScheduler, executor=DebugExecutor())
        scheduler.start(paused=True)
        install_jobs(scheduler, settings, str(self.config), self.engine)
        scheduler.resume()
        return scheduler  # type: ignore[return-value]

    def runs(self, job_id: str) -> list[JobRun]:
        with Session(self.engine) as session:
            return list(session.execute(select(JobRun).where(JobRun.job_id == job_id).order_by(JobRun.id)).scalars())

    def digest_days(self) -> list[date]:
        with Session(self.engine) as session:
            return sorted(session.execute(select(Digest.day)).scalars())


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    deployed = Deployment(tmp_path)
    yield deployed
    deployed.engine.dispose()


def test_digest_fires_once_at_seven_even_across_a_restart(deployment: Deployment) -> None:
    with time_machine.travel(at(15, 6, 30), tick=False) as clock:
        scheduler = deployment.start()
        scheduler.run_due()
        clock.move_to(at(15, 6, 59, 59))
        scheduler.run_due()
        assert deployment.runs("digest") == []
        clock.move_to(at(15, 7, 0))
        scheduler.run_due()
        assert len(deployment.runs("digest")) == 1
        scheduler.shutdown()

        clock.move_to(at(15, 7, 0, 30))
        restarted = deployment.start()
        restarted.run_due()
        clock.move_to(at(15, 12, 0))
        restarted.run_due()
        assert len(deployment.runs("digest")) == 1
        clock.move_to(at(16, 7, 0))
        restarted.run_due()
        restarted.shutdown()
    runs = deployment.runs("digest")
    assert [(run.status, run.details["day"]) for run in runs] == [("ok", "2026-11-14"), ("ok", "2026-11-15")]
    assert deployment.digest_days() == [date(2026, 11, 14), date(2026, 11, 15)]


def test_a_digest_due_while_stopped_runs_once_on_restart(deployment: Deployment) -> None:
    with time_machine.travel(at(15, 6, 50), tick=False) as clock:
        deployment.start().shutdown()
        clock.move_to(at(15, 7, 20))
        first = deployment.start()
        first.run_due()
        first.run_due()
        first.shutdown()
        clock.move_to(at(15, 7, 25))
        second = deployment.start()
        second.run_due()
        second.shutdown()
    assert [run.details["day"] for run in deployment.runs("digest")] == ["2026-11-14"]


def test_a_digest_missed_beyond_the_grace_time_is_caught_up_once(deployment: Deployment) -> None:
    with time_machine.travel(at(15, 6, 50), tick=False) as clock:
        deployment.start().shutdown()
        clock.move_to(at(15, 9, 30))
        scheduler = deployment.start()
        scheduler.run_due()
        scheduler.run_due()
        next_digest = scheduler.get_job("digest").next_run_time
        scheduler.shutdown()
    assert [run.details["day"] for run in deployment.runs("digest")] == ["2026-11-14"]
    assert next_digest == at(16, 7, 0)


def test_restarts_keep_one_row_per_job_and_drop_unconfigured_jobs(tmp_path: Path) -> None:
    deployment = Deployment(tmp_path, sources=[{"name": "demo", "type": "demo", "path": "missing.jsonl"}])
    with time_machine.travel(at(15, 6, 0), tick=False):
        for _ in range(3):
            scheduler = deployment.start()
            ids = sorted(job.id for job in scheduler.get_jobs())
            scheduler.shutdown()
        assert ids == ["alerts", "collect:demo", "deliveries", "digest", "incidents", "retention"]
        quiet = load_settings(write_config(tmp_path, deployment.settings.database_url, sources=QUIET_SOURCES))
        scheduler = deployment.start(quiet)
        lines = describe_jobs(scheduler, quiet)
        scheduler.shutdown()
    with deployment.engine.connect() as connection:
        rows = connection.execute(select(func.count()).select_from(text(JOBSTORE_TABLE))).scalar_one()
    assert rows == 5
    assert any(line.strip().startswith("digest") and "2026-11-15 07:00:00 WIB" in line for line in lines)
    deployment.engine.dispose()


def test_a_failing_job_is_recorded_and_the_others_still_run(tmp_path: Path) -> None:
    deployment = Deployment(
        tmp_path, sources=[{"name": "demo", "type": "demo", "path": "missing.jsonl", "interval_minutes": 15}]
    )
    with time_machine.travel(at(15, 6, 40), tick=False) as clock:
        scheduler = deployment.start()
        clock.move_to(at(15, 7, 0))
        scheduler.run_due()
        scheduler.shutdown()
    [collect] = deployment.runs("collect:demo")
    assert collect.status == "failed" and "not found" in str(collect.error)
    assert [run.status for run in deployment.runs("digest")] == ["ok"]
    deployment.engine.dispose()


def test_the_digest_job_is_idempotent_per_day(tmp_path: Path) -> None:
    from pantau.pipeline.jobs import digest_job
    from pantau.storage.models import Delivery

    deployment = Deployment(tmp_path, digest={"formats": ["md"], "send": True})
    with time_machine.travel(at(15, 7, 0), tick=False):
        digest_job(str(deployment.config))
        digest_job(str(deployment.config))
    first, second = deployment.runs("digest")
    assert first.details["generated"] is True and second.details["generated"] is False
    with Session(deployment.engine) as session:
        sent = session.execute(select(Delivery.kind, Delivery.ref, Delivery.channel, Delivery.status)).all()
    assert sent == [("digest", "2026-11-14", "file", "sent")]
    assert deployment.digest_days() == [date(2026, 11, 14), date(2026, 11, 14)]
    deployment.engine.dispose()
