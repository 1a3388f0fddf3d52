"""The scheduler's jobs: module-level functions taking only the config path (APScheduler pickles them).

Each call loads the settings, opens its own engine, records a job_run row and never raises: a failing
job is logged and recorded, and the scheduler keeps going.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from pantau.core.config import ConfigError, Settings, load_settings
from pantau.pipeline.classify import count_pending
from pantau.pipeline.cycle import (
    ALERT_JOB,
    INCIDENT_JOB,
    CycleReport,
    check_alerts_work,
    classify_pending_step,
    deliver_work,
    incident_work,
)
from pantau.pipeline.jobrecord import JobResult, record_job
from pantau.storage.db import DatabaseError, make_engine
from pantau.storage.models import utcnow

log = logging.getLogger(__name__)

DIGEST_JOB = "digest"
RETENTION_JOB = "retention"
DELIVERY_JOB = "deliveries"


def collect_job_id(source: str) -> str:
    return f"collect:{source}"


def _run(config_path: str, job_id: str, work: Callable[[Engine, Settings], JobResult]) -> None:
    try:
        settings = load_settings(config_path)
        engine = make_engine(settings.database_url, echo=settings.database.echo)
    except (ConfigError, DatabaseError) as exc:
        log.error("job %s cannot start: %s", job_id, exc)
        return
    try:
        record_job(engine, job_id, lambda: work(engine, settings))
    finally:
        engine.dispose()


def _collect(source_name: str) -> Callable[[Engine, Settings], JobResult]:
    def work(engine: Engine, settings: Settings) -> JobResult:
        from pantau.collector.runner import collect_source

        outcome = collect_source(engine, settings, settings.source(source_name))
        report = CycleReport()
        report.add(
            "collect",
            outcome.ok,
            f"fetched {outcome.fetched}, new {outcome.inserted}" + (f" ({outcome.error})" if outcome.error else ""),
        )
        if settings.schedule.classify_after_collect and count_pending(engine):
            classify_pending_step(engine, settings, report)
        summary = "; ".join(f"{step.step}: {step.summary}" for step in report.steps)
        return JobResult(report.ok, summary, {"inserted": outcome.inserted, "run_id": outcome.run_id})

    return work


def collect_job(config_path: str, source_name: str) -> None:
    """Collect one source, then classify what is pending."""
    _run(config_path, collect_job_id(source_name), _collect(source_name))


def alert_job(config_path: str) -> None:
    """Judge the complete hours since the last check, then deliver what it opened or resolved."""

    def work(engine: Engine, settings: Settings) -> JobResult:
        check = check_alerts_work(engine, settings)
        delivered = deliver_work(engine, settings)
        return JobResult(delivered.ok, f"{check.summary}; deliveries: {delivered.summary}", check.details)

    _run(config_path, ALERT_JOB, work)


def incident_job(config_path: str) -> None:
    """Group newly labelled posts into incidents, check SLA clocks, deliver escalations at once."""

    def work(engine: Engine, settings: Settings) -> JobResult:
        grouped = incident_work(engine, settings)
        delivered = deliver_work(engine, settings)
        return JobResult(delivered.ok, f"{grouped.summary}; deliveries: {delivered.summary}", grouped.details)

    _run(config_path, INCIDENT_JOB, work)


def digest_job(config_path: str) -> None:
    """Yesterday's digest; a second run on the same day (a restart, a catch-up) generates and sends nothing."""

    def work(engine: Engine, settings: Settings) -> JobResult:
        from pantau.reports.digest import scheduled_digest

        outcome = scheduled_digest(engine, settings)
        summary = f"digest {outcome.day}: " + ("written" if outcome.generated else "already stored")
        details: dict[str, object] = {"day": outcome.day.isoformat(), "generated": outcome.generated}
        ok = True
        if outcome.deliveries is not None:
            summary += f"; deliveries: {outcome.deliveries.summary()}"
            ok = outcome.deliveries.ok
        return JobResult(ok, summary, details)

    _run(config_path, DIGEST_JOB, work)


def delivery_job(config_path: str) -> None:
    """Retry deliveries whose backoff has passed."""
    _run(config_path, DELIVERY_JOB, lambda engine, settings: deliver_work(engine, settings))


def retention_job(config_path: str) -> None:
    """Delete posts (and old run records) beyond schedule.retention_days, and incidents left without posts."""

    def work(engine: Engine, settings: Settings) -> JobResult:
        from pantau.storage.retention import delete_older_than

        cutoff = utcnow() - timedelta(days=settings.schedule.retention_days)
        with Session(engine) as session:
            outcome = delete_older_than(session, cutoff)
        summary = (
            f"deleted {outcome.posts} post(s) created before {cutoff:%Y-%m-%d} "
            f"and {outcome.incidents} incident(s) left without posts"
        )
        counts = {"posts": outcome.posts, "job_runs": outcome.job_runs, "incidents": outcome.incidents}
        return JobResult(True, summary, counts | {"escalations": outcome.escalations})

    _run(config_path, RETENTION_JOB, work)
