"""Helpers for incident tests: configs with SLA clocks, the demo grouped into incidents, a fake model card."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlmodel import Session

from labelled_demo import import_labelled_demo
from pantau.core.config import Settings
from pantau.pipeline.cycle import CycleReport, alert_step, incident_step
from pantau.storage.models import Incident
from support import write_config

JAKARTA = ZoneInfo("Asia/Jakarta")
AFTER_DEMO = datetime(2026, 11, 15, 0, 30, tzinfo=JAKARTA)
SLA: dict[str, Any] = {
    "working_hours": {"start": "08:00", "end": "17:00", "days": ["mon", "tue", "wed", "thu", "fri"]},
    "targets": {"outage_performance": {"acknowledge_minutes": 30, "resolve_minutes": 240, "working_hours": True}},
}


def write_incident_config(directory: Path, database_url: str, **overrides: Any) -> Path:
    return write_config(directory, database_url, **overrides)


def run_steps(engine: Engine, settings: Settings, now: datetime) -> CycleReport:
    """The cycle's alert and incident steps (collection and the model are not needed: posts are labelled)."""
    report = CycleReport()
    alert_step(engine, settings, report, now)
    incident_step(engine, settings, report, now)
    assert report.ok, report.steps
    return report


def grouped_demo(engine: Engine, settings: Settings, now: datetime = AFTER_DEMO) -> CycleReport:
    import_labelled_demo(engine, settings)
    return run_steps(engine, settings, now)


def incidents(engine: Engine, *, label: str | None = None, merged: bool = False) -> list[Incident]:
    with Session(engine) as session:
        query = select(Incident).order_by(Incident.id)
        if label is not None:
            query = query.where(Incident.label == label)
        if not merged:
            query = query.where(Incident.status != "merged")
        return list(session.execute(query).scalars())


def fake_model_dir(directory: Path, version: str, per_label: dict[str, tuple[float, float, int]]) -> Path:
    """A model directory holding only pantau.json with test-split (precision, recall, support) per label."""
    directory.mkdir(parents=True, exist_ok=True)
    metadata = {
        "version": version,
        "labels": list(per_label),
        "metrics": {
            "test": {
                "rows": 1000,
                "per_label": {
                    label: {"precision": p, "recall": r, "f1": round(2 * p * r / (p + r), 4), "support": n}
                    for label, (p, r, n) in per_label.items()
                },
            }
        },
    }
    (directory / "pantau.json").write_text(json.dumps(metadata), encoding="utf-8")
    return directory
