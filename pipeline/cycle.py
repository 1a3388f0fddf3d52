"""One monitoring cycle: collect every enabled source, classify what is pending, check alerts, group incidents,
deliver."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from pantau.collector.runner import collect_source
from pantau.core.config import Settings
from pantau.pipeline.classify import NoModelError, classify_stored, load_classifier, resolve_model_dir
from pantau.pipeline.jobrecord import JobResult, record_job
from pantau.storage.jobruns import last_successful_run
from pantau.storage.locks import exclusive

log = logging.getLogger(__name__)
ALERT_JOB = "alerts"
INCIDENT_JOB = "incidents"


@dataclass(slots=True)
class StepResult:
    step: str
    ok: bool
    summary: str


@dataclass(slots=True)
class CycleReport:
    steps: list[StepResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)

    def add(self, step: str, ok: bool, summary: str) -> None:
        self.steps.append(StepResult(step, ok, summary))


def collect_all(engine: Engine, settings: Settings, report: CycleReport, only: str | None = None) -> None:
    sources = [source for source in settings.sources if source.enabled and (only is None or source.name == only)]
    if not sources:
        report.add("collect", True, "no enabled sources")
    for source_settings in sources:
        outcome = collect_source(engine, settings, source_settings)
        counts = f"fetched {outcome.fetched}, new {outcome.inserted}, already stored {outcome.duplicates}"
        summary = counts if outcome.error is None else f"{outcome.status}: {outcome.error} ({counts})"
        report.add(f"collect {source_settings.name}", outcome.ok, summary)


def classify_pending_step(engine: Engine, settings: Settings, report: CycleReport) -> None:
    try:
        classifier = load_classifier(settings, resolve_model_dir(engine, settings))
        outcome = classify_stored(engine, settings, classifier)
    except NoModelError as exc:
        report.add("classify", False, str(exc))
        return
    except Exception as exc:
        log.exception("classification failed")
        report.add("classify", False, f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}")
        return
    report.add(
        "classify",
        True,
        f"{outcome.classified} post(s) classified by model {outcome.model_version} ({outcome.precision}), "
        f"{outcome.needs_review} need review",
    )


def check_alerts_work(engine: Engine, settings: Settings, now: datetime | None = None) -> JobResult:
    """Every complete hour since the last check (and hours whose posts were labelled since) is judged."""
    from pantau.reports.alerts import check_alerts

    with Session(engine) as session:
        last = last_successful_run(session, ALERT_JOB)
        state = dict(last.details) if last is not None else None
    check = check_alerts(engine, settings, now=now, state=state)
    return JobResult(True, check.summary(), check.state())


def incident_work(engine: Engine, settings: Settings, now: datetime | None = None) -> JobResult:
    """Group posts labelled since the last run into incidents, link spike alerts, escalate overdue clocks."""
    from pantau.reports.incidents import update_incidents

    with Session(engine) as session:
        last = last_successful_run(session, INCIDENT_JOB)
        state = dict(last.details) if last is not None else None
    run = update_incidents(engine, settings, now=now, state=state)
    return JobResult(True, run.summary(), run.state())


def deliver_work(engine: Engine, settings: Settings, now: datetime | None = None) -> JobResult:
    """Send what is due; while another process is delivering, leave it to that one."""
    from pantau.reports.delivery import deliver_due

    with exclusive(engine, "deliver") as held:
        if not held:
            return JobResult(True, "skipped: another worker is delivering", {"skipped": True})
        outcome = deliver_due(engine, settings, now)
    return JobResult(outcome.ok, outcome.summary(), {"sent": outcome.sent, "failed": outcome.failed})


def alert_step(engine: Engine, settings: Settings, report: CycleReport, now: datetime | None = None) -> None:
    result = record_job(engine, ALERT_JOB, lambda: check_alerts_work(engine, settings, now))
    report.add("alerts", result.ok, result.summary)


def incident_step(engine: Engine, settings: Settings, report: CycleReport, now: datetime | None = None) -> None:
    result = record_job(engine, INCIDENT_JOB, lambda: incident_work(engine, settings, now))
    report.add("incidents", result.ok, result.summary)


def delivery_step(engine: Engine, settings: Settings, report: CycleReport, now: datetime | None = None) -> None:
    """Alerts just opened, and earlier deliveries whose retry is due."""
    try:
        result = deliver_work(engine, settings, now)
    except Exception as exc:
        log.exception("delivery failed")
        result = JobResult(False, f"{type(exc).__name__}: {exc}")
    report.add("deliver", result.ok, result.summary)


def label_queue_step(engine: Engine, settings: Settings, report: CycleReport) -> None:
    """Rank the posts most worth a person's label, for the triage queue's active-learning order."""
    from pantau.reports.active_learning import refresh_label_priorities

    try:
        with exclusive(engine, "label-queue") as held:
            if not held:
                report.add("label queue", True, "skipped: another worker is ranking")
                return
            with Session(engine) as session:
                ranked = refresh_label_priorities(session, settings)
                session.commit()
    except Exception as exc:
        log.exception("active-learning queue refresh failed")
        report.add("label queue", False, f"{type(exc).__name__}: {exc}")
        return
    report.add("label queue", True, f"{ranked} post(s) ranked for labelling")


def run_cycle(engine: Engine, settings: Settings, now: datetime | None = None) -> CycleReport:
    """Run every step; a failing step is reported and the remaining steps still run."""
    report = CycleReport()
    collect_all(engine, settings, report)
    classify_pending_step(engine, settings, report)
    label_queue_step(engine, settings, report)
    alert_step(engine, settings, report, now)
    incident_step(engine, settings, report, now)
    delivery_step(engine, settings, report, now)
    return report
