"""One promotion attempt end to end: compare on the fixed test rows, decide, record, write the report."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from sqlmodel import Session

from pantau.core.config import Settings
from pantau.retraining.candidates import ensure_current
from pantau.retraining.promotion import PromotionAttempt, compare, decide
from pantau.retraining.promotion_report import write_report
from pantau.storage.models import ModelVersion


def reports_dir(settings: Settings) -> Path:
    return settings.path(settings.classifier.models_dir) / "reports"


def promote_candidate(
    session: Session,
    settings: Settings,
    candidate: ModelVersion,
    test_rows: Sequence[dict],
    *,
    by: str,
    force: bool = False,
    reason: str | None = None,
) -> PromotionAttempt:
    """Run the gate in the caller's transaction (commit to keep the outcome); the report is always written."""
    current = ensure_current(session, settings)
    attempt = compare(settings, candidate, current, test_rows)
    safe_version = re.sub(r"[^A-Za-z0-9._-]+", "_", candidate.version)
    attempt.report_dir = reports_dir(settings) / f"{attempt.at:%Y%m%d-%H%M%S}-{safe_version}"
    decide(session, candidate, attempt, by=by, force=force, reason=reason)
    write_report(attempt, attempt.report_dir)
    return attempt
