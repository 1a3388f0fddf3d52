"""How an incident reads to people: its trend, posts per hour and clocks, shared by the CLI, web and tickets."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from sqlmodel import Session

from pantau.core.config import Settings
from pantau.reports.sla import Clock, incident_clocks, worst_state
from pantau.storage.incidents import member_times
from pantau.storage.models import Incident

TREND_WORDS = {"new": "baru", "rising": "naik", "steady": "stabil", "falling": "turun", "quiet": "reda"}
RISING, FALLING = 1.5, 2 / 3


@dataclass(frozen=True, slots=True)
class Trend:
    recent_per_hour: float
    """Posts per hour in the last `hours` before the reference time."""
    earlier_per_hour: float
    """Posts per hour from the first post up to that window."""
    direction: str
    """new, rising, steady, falling or quiet."""
    hours: int

    def as_dict(self) -> dict[str, object]:
        return {
            "recent_per_hour": round(self.recent_per_hour, 2),
            "earlier_per_hour": round(self.earlier_per_hour, 2),
            "direction": self.direction,
            "window_hours": self.hours,
        }


def reference_time(incident: Incident, now: datetime) -> datetime:
    """Active incidents are judged now; closed ones as they stood when they closed."""
    if incident.status in ("open", "acknowledged"):
        return now
    return min(now, incident.resolved_at or incident.last_seen + timedelta(seconds=1))


def trend(times: list[datetime], reference: datetime, hours: int) -> Trend:
    """Posts per hour in the last `hours` against the rate before them."""
    window = reference - timedelta(hours=hours)
    recent = sum(1 for moment in times if window <= moment < reference)
    earlier_times = [moment for moment in times if moment < window]
    span = (window - min(earlier_times)).total_seconds() / 3600 if earlier_times else 0.0
    recent_rate, earlier_rate = recent / hours, len(earlier_times) / max(span, 1.0)
    if recent == 0:
        direction = "quiet"
    elif not earlier_times:
        direction = "new"
    elif recent_rate >= RISING * earlier_rate:
        direction = "rising"
    elif recent_rate <= FALLING * earlier_rate:
        direction = "falling"
    else:
        direction = "steady"
    return Trend(recent_rate, earlier_rate, direction, hours)


def hourly_counts(times: list[datetime], tz: tzinfo) -> list[tuple[datetime, int]]:
    """Posts per hour (local hour starts) from the first post's hour to the last one's, gaps included."""
    if not times:
        return []
    counts = Counter(moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0) for moment in times)
    hour, last = min(counts), max(counts)
    series = []
    while hour <= last:
        series.append((hour.astimezone(tz), counts.get(hour, 0)))
        hour += timedelta(hours=1)
    return series


@dataclass(slots=True)
class IncidentView:
    incident: Incident
    display: str
    trend: Trend
    acknowledge: Clock
    resolve: Clock
    sla_state: str
    times: list[datetime]


def view_incident(session: Session, settings: Settings, incident: Incident, now: datetime) -> IncidentView:
    times = member_times(session, incident.id)  # type: ignore[arg-type]
    clocks = incident_clocks(incident)
    return IncidentView(
        incident=incident,
        display=settings.display_name(incident.label),
        trend=trend(times, reference_time(incident, now), settings.incidents.trend_hours),
        acknowledge=clocks[0],
        resolve=clocks[1],
        sla_state=worst_state(clocks, now),
        times=times,
    )
