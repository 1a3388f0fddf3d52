"""The long-running scheduler (`pantau run`): APScheduler 3 with its jobs persisted in the database.

Jobs: one collection per enabled source at its interval (classification of pending posts follows),
the hourly alert check, incident grouping with SLA clocks, the daily digest (cron at
schedule.digest_time in the configured zone), delivery retries and the retention clean-up. All share
coalesce, max_instances=1 and the configured misfire grace time, and run one at a time (one worker
thread): SQLite-friendly, and classification never races itself. A restart keeps each unchanged
job's persisted next run time, so a digest that fell due while the process was down runs once on
start (within the grace time); beyond it, a missing digest for yesterday is caught up at once. The
digest job itself is idempotent per day.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.base import BaseExecutor
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from apscheduler.util import obj_to_ref
from sqlalchemy import Engine
from sqlmodel import Session

from pantau.core.config import Settings, config_path
from pantau.pipeline import jobs
from pantau.pipeline.cycle import ALERT_JOB, INCIDENT_JOB
from pantau.storage.db import make_engine
from pantau.storage.jobruns import finish_job_run, start_job_run

log = logging.getLogger(__name__)

JOBSTORE_TABLE = "apscheduler_jobs"


@dataclass(frozen=True, slots=True)
class PlannedJob:
    id: str
    name: str
    func: Callable[..., None]
    args: tuple[str, ...]
    trigger: BaseTrigger


def planned_jobs(settings: Settings, config_file: str) -> list[PlannedJob]:
    """What should be scheduled for this configuration; job arguments are only the config path."""
    tz, schedule = settings.tz, settings.schedule
    plan = [
        PlannedJob(
            jobs.collect_job_id(source.name),
            f"collect {source.name} + classify",
            jobs.collect_job,
            (config_file, source.name),
            IntervalTrigger(minutes=source.interval_minutes, timezone=tz),
        )
        for source in settings.sources
        if source.enabled
    ]
    every = schedule.alert_check_minutes
    alert_trigger = (
        CronTrigger(hour=f"*/{every // 60}", minute=5, timezone=tz)
        if every % 60 == 0
        else IntervalTrigger(minutes=every, timezone=tz)
    )
    digest_at, retention_at = schedule.digest_time, schedule.retention_time
    plan += [
        PlannedJob(ALERT_JOB, "spike alert check", jobs.alert_job, (config_file,), alert_trigger),
        PlannedJob(
            INCIDENT_JOB,
            "incidents + SLA clocks",
            jobs.incident_job,
            (config_file,),
            IntervalTrigger(minutes=settings.incidents.check_minutes, timezone=tz),
        ),
        PlannedJob(
            jobs.DIGEST_JOB,
            "daily digest",
            jobs.digest_job,
            (config_file,),
            CronTrigger(hour=digest_at.hour, minute=digest_at.minute, timezone=tz),
        ),
        PlannedJob(
            jobs.DELIVERY_JOB,
            "delivery retries",
            jobs.delivery_job,
            (config_file,),
            IntervalTrigger(minutes=schedule.delivery_retry_minutes, timezone=tz),
        ),
        PlannedJob(
            jobs.RETENTION_JOB,
            "retention clean-up",
            jobs.retention_job,
            (config_file,),
            CronTrigger(hour=retention_at.hour, minute=retention_at.minute, timezone=tz),
        ),
    ]
    return plan


def _trigger_key(trigger: BaseTrigger) -> tuple[Any, ...]:
    if isinstance(trigger, IntervalTrigger):
        return ("interval", trigger.interval, str(trigger.timezone))
    return (type(trigger).__name__, str(trigger), str(getattr(trigger, "timezone", "")))


def _unchanged(job: Job, plan: PlannedJob) -> bool:
    return (
        job.func_ref == obj_to_ref(plan.func)
        and tuple(job.args) == plan.args
        and _trigger_key(job.trigger) == _trigger_key(plan.trigger)
    )


class ResilientScheduler(BackgroundScheduler):
    """APScheduler's loop thread dies silently when the job store fails after reading the due jobs
    (saving a next run time while the database goes away); this one logs it and tries again later."""

    def _process_jobs(self) -> float | None:
        try:
            return super()._process_jobs()
        except Exception as exc:
            log.error("job store error, retrying in %s s: %s", self.jobstore_retry_interval, exc)
            return float(self.jobstore_retry_interval)


def create_scheduler(
    settings: Settings,
    engine: Engine,
    *,
    scheduler_class: type[BaseScheduler] = ResilientScheduler,
    executor: BaseExecutor | None = None,
) -> BaseScheduler:
    """A scheduler whose job store lives in the main database (or schedule.jobstore_url)."""
    store_engine = make_engine(settings.schedule.jobstore_url) if settings.schedule.jobstore_url else engine
    scheduler = scheduler_class(
        jobstores={"default": SQLAlchemyJobStore(engine=store_engine, tablename=JOBSTORE_TABLE)},
        executors={"default": executor or ThreadPoolExecutor(max_workers=1)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": settings.schedule.misfire_grace_seconds,
        },
        timezone=settings.tz,
    )
    scheduler.add_listener(lambda event: _on_trouble(engine, event), EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    return scheduler


def _on_trouble(engine: Engine, event: JobExecutionEvent) -> None:
    """Jobs record their own failures; this catches what escaped them and runs that were missed."""
    if event.code == EVENT_JOB_MISSED:
        log.warning(
            "job %s missed its run at %s (beyond the misfire grace time)", event.job_id, event.scheduled_run_time
        )
        status, error = "missed", f"missed the run scheduled for {event.scheduled_run_time.isoformat()}"
    else:
        log.error("job %s raised %r", event.job_id, event.exception)
        status, error = "failed", f"{type(event.exception).__name__}: {event.exception}"
    try:
        with Session(engine) as session:
            finish_job_run(session, start_job_run(session, event.job_id), status, error=error)
    except Exception:
        log.exception("cannot record the %s run of %s", status, event.job_id)


def install_jobs(scheduler: BaseScheduler, settings: Settings, config_file: str, engine: Engine) -> None:
    """Add the planned jobs to a started (paused) scheduler; drop jobs that are no longer configured."""
    existing = {job.id: job for job in scheduler.get_jobs()}
    plan = planned_jobs(settings, config_file)
    for planned in plan:
        options: dict[str, Any] = {}
        previous = existing.get(planned.id)
        if previous is not None and previous.next_run_time is not None and _unchanged(previous, planned):
            options["next_run_time"] = previous.next_run_time
        scheduler.add_job(
            planned.func,
            trigger=planned.trigger,
            args=planned.args,
            id=planned.id,
            name=planned.name,
            replace_existing=True,
            **options,
        )
    for job_id in existing.keys() - {planned.id for planned in plan}:
        scheduler.remove_job(job_id)
    catch_up_digest(scheduler, settings, engine)


def catch_up_digest(scheduler: BaseScheduler, settings: Settings, engine: Engine) -> bool:
    """Run the digest job now when today's run time has passed and yesterday's digest is missing."""
    from pantau.reports.digest import yesterday
    from pantau.reports.digest_store import stored_digests

    now = datetime.now(settings.tz)
    if now.time() < settings.schedule.digest_time:
        return False
    with Session(engine) as session:
        if stored_digests(session, yesterday(settings, now)):
            return False
    job = scheduler.get_job(jobs.DIGEST_JOB)
    grace = timedelta(seconds=settings.schedule.misfire_grace_seconds)
    if job is None or (job.next_run_time is not None and now - grace < job.next_run_time <= now):
        return False
    job.modify(next_run_time=now)
    return True


def describe_jobs(scheduler: BaseScheduler, settings: Settings) -> list[str]:
    lines = []
    for job in sorted(scheduler.get_jobs(), key=lambda job: (job.next_run_time is None, job.next_run_time, job.id)):
        when = job.next_run_time.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M:%S %Z") if job.next_run_time else "-"
        lines.append(f"  {job.id:<24} next run {when}  ({job.name})")
    return lines


def serve_forever(settings: Settings, engine: Engine) -> int:
    """Run until SIGTERM or SIGINT; the job in progress finishes before the process exits (code 0)."""
    stop = threading.Event()
    previous: dict[int, Any] = {}

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        print(f"received {signal.Signals(signum).name}: finishing the running job, then stopping", flush=True)
        stop.set()
        for number, handler in previous.items():
            signal.signal(number, handler)

    for number in (signal.SIGTERM, signal.SIGINT):
        previous[number] = signal.signal(number, on_signal)
    scheduler = create_scheduler(settings, engine)
    scheduler.start(paused=True)
    try:
        install_jobs(scheduler, settings, str(config_path()), engine)
        print(f"pantau scheduler started; jobs ({settings.timezone}):", flush=True)
        print("\n".join(describe_jobs(scheduler, settings)), flush=True)
        scheduler.resume()
        while not stop.wait(1.0):
            pass
    finally:
        scheduler.shutdown(wait=True)
        for number, handler in previous.items():
            signal.signal(number, handler)
    print("pantau scheduler stopped", flush=True)
    return 0
