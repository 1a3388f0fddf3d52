"""One monitoring cycle: collect every enabled source, classify what is pending, check alerts."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import Engine

from pantau.collector.runner import collect_source
from pantau.core.config import Settings
from pantau.pipeline.classify import NoModelError, classify_stored, load_classifier, resolve_model_dir

log = logging.getLogger(__name__)


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
        f"{outcome.classified} post(s) classified by model {outcome.model_version}, {outcome.needs_review} need review",
    )


def run_cycle(engine: Engine, settings: Settings) -> CycleReport:
    """Run every step; a failing step is reported and the remaining steps still run."""
    report = CycleReport()
    collect_all(engine, settings, report)
    classify_pending_step(engine, settings, report)
    return report
