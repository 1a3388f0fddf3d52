"""Gated promotion: candidate and current model scored on the same fixed test rows at promotion time.

The candidate passes when its macro-F1 and every label's recall are at least the current model's minus
`classifier.promotion_tolerance`. A refused candidate can still be promoted with force; that is recorded
(forced=True, who, why). Every attempt writes a report (reports in promotion_report.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlmodel import Session

from pantau.classifier.metrics import evaluate_predictions
from pantau.classifier.model import IssueClassifier
from pantau.core.config import Settings
from pantau.storage.models import ModelVersion
from pantau.storage.registry import make_current, mark_status


class PromotionError(Exception):
    """Promotion cannot be attempted (e.g. no test rows, the candidate is already current)."""


@dataclass(slots=True)
class ModelEvaluation:
    version: str
    metrics: dict[str, Any]
    scores: np.ndarray
    """Calibrated scores, rows x labels, for precision-recall curves."""
    thresholds: dict[str, float]


@dataclass(slots=True)
class GateCheck:
    name: str
    current: float
    candidate: float
    minimum: float

    @property
    def passed(self) -> bool:
        return self.candidate >= self.minimum - 1e-9


@dataclass(slots=True)
class PromotionAttempt:
    candidate: ModelEvaluation
    current: ModelEvaluation | None
    labels: list[str]
    gold: np.ndarray
    test_rows: int
    tolerance: float
    checks: list[GateCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Reasons comparison itself fails (e.g. the label sets differ); they block like failed checks."""
    promoted: bool = False
    forced: bool = False
    by: str = ""
    reason: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    report_dir: Path | None = None

    @property
    def passed(self) -> bool:
        return not self.problems and all(check.passed for check in self.checks)

    def failures(self) -> list[str]:
        failed = [
            f"{c.name} {c.candidate:.3f} < {c.minimum:.3f} (current {c.current:.3f})"
            for c in self.checks
            if not c.passed
        ]
        return self.problems + failed


def load_for_evaluation(settings: Settings, path: str | Path) -> IssueClassifier:
    return IssueClassifier.from_options(path, settings.classifier)


def evaluate(classifier: IssueClassifier, rows: Sequence[dict], labels: Sequence[str]) -> ModelEvaluation:
    """Metrics over `labels` (the candidate's) and the score matrix, on exactly these rows."""
    predictions = classifier.predict([row["text"] for row in rows])
    metrics = evaluate_predictions(
        [row["labels"] for row in rows], [p.labels for p in predictions],
        [row.get("primary") or row["labels"][0] for row in rows], [p.primary for p in predictions], list(labels),
    )  # fmt: skip
    scores = np.array([[p.scores.get(label, 0.0) for label in labels] for p in predictions], dtype=np.float32)
    thresholds = {label: classifier.thresholds.get(label, 0.5) for label in labels}
    return ModelEvaluation(classifier.version, metrics, scores.reshape(len(rows), len(labels)), thresholds)


def gate_checks(current: dict[str, Any], candidate: dict[str, Any], tolerance: float) -> list[GateCheck]:
    """Macro-F1, then recall of each label the test rows contain, each allowed to trail by `tolerance`."""
    floor = current["macro_f1"] - tolerance
    checks = [GateCheck("macro-F1", current["macro_f1"], candidate["macro_f1"], max(0.0, floor))]
    for label, values in candidate["per_label"].items():
        before = current["per_label"].get(label)
        if before is None or not values["support"]:
            continue
        minimum = max(0.0, before["recall"] - tolerance)
        checks.append(GateCheck(f"recall {label}", before["recall"], values["recall"], minimum))
    return checks


def compare(
    settings: Settings, candidate: ModelVersion, current: ModelVersion | None, rows: Sequence[dict]
) -> PromotionAttempt:
    """Score both models on the same rows (those whose labels the candidate knows) and run the gate."""
    if current is not None and current.id == candidate.id:
        raise PromotionError(f"{candidate.version} is already the current model")
    challenger = load_for_evaluation(settings, candidate.path)
    labels = challenger.labels
    usable = [row for row in rows if row["labels"] and set(row["labels"]) <= set(labels)]
    if not usable:
        raise PromotionError("no test rows with labels the candidate knows; export labels first")
    gold = np.array([[label in row["labels"] for label in labels] for row in usable], dtype=np.float32)
    tolerance = settings.classifier.promotion_tolerance
    attempt = PromotionAttempt(evaluate(challenger, usable, labels), None, labels, gold, len(usable), tolerance)
    if labels != settings.label_keys:
        attempt.problems.append("the candidate's labels differ from the configured taxonomy")
    if current is not None:
        incumbent = load_for_evaluation(settings, current.path)
        if sorted(incumbent.labels) != sorted(labels):
            attempt.problems.append(f"label sets differ: current {incumbent.labels}, candidate {labels}")
        attempt.current = evaluate(incumbent, usable, labels)
        attempt.checks = gate_checks(attempt.current.metrics, attempt.candidate.metrics, tolerance)
    return attempt


def decide(
    session: Session, candidate: ModelVersion, attempt: PromotionAttempt, *, by: str, force: bool, reason: str | None
) -> None:
    """Promote on a pass (or with force, recorded as forced), otherwise mark the candidate rejected."""
    attempt.by, attempt.reason = by, reason
    summary = _summary(attempt)
    candidate.metrics = {**candidate.metrics, "last_gate": summary}
    if attempt.passed or force:
        attempt.forced = force and not attempt.passed
        if attempt.forced:
            note = f"forced by {by} past the gate ({'; '.join(attempt.failures())}); reason: {reason or 'none given'}"
        else:
            note = f"promoted by {by}: gate passed on {attempt.test_rows} test rows"
        make_current(session, candidate, by=by, forced=attempt.forced, note=note)
        attempt.promoted = True
    else:
        mark_status(session, candidate, "rejected", f"refused by the gate for {by}: {'; '.join(attempt.failures())}")


def _summary(attempt: PromotionAttempt) -> dict[str, Any]:
    return {
        "at": attempt.at.isoformat(timespec="seconds"),
        "against": attempt.current.version if attempt.current else None,
        "test_rows": attempt.test_rows,
        "tolerance": attempt.tolerance,
        "passed": attempt.passed,
        "failures": attempt.failures(),
        "candidate_macro_f1": attempt.candidate.metrics["macro_f1"],
        "current_macro_f1": attempt.current.metrics["macro_f1"] if attempt.current else None,
        "report": str(attempt.report_dir) if attempt.report_dir else None,
    }


def reclassify_since(settings: Settings, today: datetime | None = None) -> str:
    """The date to re-label from after a promotion: far enough back to cover the alert baseline and trends."""
    days = max(settings.alerts.baseline_weeks * 7, settings.digest.trend_days)
    moment = (today or datetime.now(UTC)).astimezone(settings.tz) - timedelta(days=days)
    return moment.date().isoformat()
