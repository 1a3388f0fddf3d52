"""What the dashboard adds from the incident work: service-event markers and error-adjusted weekly counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from pantau.core.config import Settings
from pantau.reports.adjusted import adjust, model_quality
from pantau.reports.timeline import event_name
from pantau.reports.trends import TrendTable
from pantau.storage.service_events import events_between
from pantau.web.dashboard_data import Dashboard


@dataclass(frozen=True, slots=True)
class AdjustedRow:
    label: str
    observed: int
    adjusted: float | None
    low: float | None
    high: float | None
    precision: float | None
    recall: float | None
    corrections: int


@dataclass(frozen=True, slots=True)
class AdjustedWeek:
    model_version: str | None
    rows: list[AdjustedRow]


def event_markers(session: Session, settings: Settings, table: TrendTable) -> list[tuple[float, str]]:
    """(position in daily buckets from the first, 'rilis 4.2.1') for events inside the chart."""
    if not table.buckets:
        return []
    start = table.buckets[0].astimezone(UTC)
    markers = []
    for event in events_between(session, start, table.until):
        if start <= event.at < table.until:
            position = (event.at - start) / timedelta(days=1)
            markers.append((position, event_name(event.kind, event.title)))
    return markers


def adjusted_week(session: Session, engine: Engine, settings: Settings, week: dict[str, int]) -> AdjustedWeek | None:
    """The last seven days' counts per type next to the counts adjusted for the current model's error."""
    from pantau.pipeline.classify import current_model_dir

    quality = model_quality(session, settings, current_model_dir(session, settings))
    if quality is None:
        return None
    rows = []
    for label, observed in week.items():
        label_quality = quality.labels.get(label)
        series = adjust([observed], label_quality)
        rows.append(
            AdjustedRow(
                label=label,
                observed=observed,
                adjusted=series.values[0],
                low=series.low[0],
                high=series.high[0],
                precision=label_quality.precision if label_quality else None,
                recall=label_quality.recall if label_quality else None,
                corrections=label_quality.corrections if label_quality else 0,
            )
        )
    return AdjustedWeek(quality.model_version, rows)


def board_adjusted(session: Session, engine: Engine, settings: Settings, board: Dashboard) -> AdjustedWeek | None:
    """`adjusted_week` for the dashboard's own week (the last seven local days, today included)."""
    return adjusted_week(session, engine, settings, {row.label: row.this_week for row in board.week})
