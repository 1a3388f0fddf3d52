"""SLA clocks: when an incident (or post) is due to be acknowledged and resolved, and where it stands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pantau.core.config import Settings
from pantau.core.incident_config import SlaTarget
from pantau.core.working_hours import add_working_time
from pantau.storage.models import Incident, Post

STAGES = ("acknowledge", "resolve")
STATE_NAMES = {
    "none": "tanpa SLA",
    "running": "berjalan",
    "overdue": "terlambat",
    "met": "terpenuhi",
    "breached": "terpenuhi terlambat",
}


@dataclass(frozen=True, slots=True)
class Clock:
    stage: str
    """acknowledge or resolve."""
    due_at: datetime | None
    done_at: datetime | None

    def state(self, now: datetime) -> str:
        """none, running, overdue (past due and not done), met, or breached (done after the due time)."""
        if self.due_at is None:
            return "none"
        if self.done_at is not None:
            return "met" if self.done_at <= self.due_at else "breached"
        return "overdue" if now > self.due_at else "running"

    def remaining(self, now: datetime) -> timedelta | None:
        """Time left (negative when overdue); None without a clock or once done."""
        if self.due_at is None or self.done_at is not None:
            return None
        return self.due_at - now

    def as_dict(self, now: datetime) -> dict[str, object]:
        remaining = self.remaining(now)
        return {
            "stage": self.stage,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "done_at": self.done_at.isoformat() if self.done_at else None,
            "state": self.state(now),
            "remaining_minutes": round(remaining.total_seconds() / 60) if remaining is not None else None,
        }


def target_for(settings: Settings, label: str) -> SlaTarget | None:
    return settings.sla.targets.get(label) if settings.sla.enabled else None


def due_times(settings: Settings, label: str, start: datetime) -> tuple[datetime | None, datetime | None]:
    """(acknowledge by, resolve by) for a clock of `label` started at `start`."""
    target = target_for(settings, label)
    if target is None:
        return None, None
    hours = settings.sla.working_hours if target.working_hours else None

    def due(minutes: int | None) -> datetime | None:
        return None if minutes is None else add_working_time(start, timedelta(minutes=minutes), settings.tz, hours)

    return due(target.acknowledge_minutes), due(target.resolve_minutes)


def clock_start(settings: Settings, incident: Incident) -> datetime:
    """When an incident's clocks start: when Pantau opened it, so the team gets the configured time from
    the moment it could know (a spike alert judges whole hours, so detection trails the first post). An
    incident opened more than alerts.deliver_max_age_hours after its first post came from a backfill;
    its clocks start at the first post, as history."""
    detected = incident.created_at or incident.first_seen
    backfill = detected - incident.first_seen > timedelta(hours=settings.alerts.deliver_max_age_hours)
    return incident.first_seen if backfill else max(detected, incident.first_seen)


def incident_clocks(incident: Incident) -> tuple[Clock, Clock]:
    acknowledged = incident.acknowledged_at or incident.resolved_at
    return (
        Clock("acknowledge", incident.ack_due_at, acknowledged),
        Clock("resolve", incident.resolve_due_at, incident.resolved_at),
    )


def incident_clocks_as_of(incident: Incident, moment: datetime) -> tuple[Clock, Clock]:
    """The clocks as they stood at `moment` (what happened later is not known yet)."""

    def known(value: datetime | None) -> datetime | None:
        return value if value is not None and value <= moment else None

    acknowledged = known(incident.acknowledged_at) or known(incident.resolved_at)
    return (
        Clock("acknowledge", incident.ack_due_at, acknowledged),
        Clock("resolve", incident.resolve_due_at, known(incident.resolved_at)),
    )


def post_clocks(settings: Settings, post: Post, label: str | None) -> tuple[Clock, Clock]:
    """A post's own clocks from its creation, by its issue type; triage status stops them."""
    ack_due, resolve_due = due_times(settings, label, post.created_at) if label else (None, None)
    touched = post.triaged_at if post.status != "new" else None
    closed = post.triaged_at if post.status in ("resolved", "dismissed") else None
    return Clock("acknowledge", ack_due, touched), Clock("resolve", resolve_due, closed)


def worst_state(clocks: tuple[Clock, Clock], now: datetime) -> str:
    """The state that matters most for a queue: overdue beats running beats the rest."""
    states = [clock.state(now) for clock in clocks]
    for state in ("overdue", "breached", "running", "met"):
        if state in states:
            return state
    return "none"


def duration_text(span: timedelta) -> str:
    """'1 j 5 m', '2 h 3 j' (days, hours, minutes in Indonesian abbreviations)."""
    minutes = int(abs(span.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} h"] if days else []
    if hours or days:
        parts.append(f"{hours} j")
    if not days:
        parts.append(f"{minutes} m")
    return " ".join(parts)


def clock_text(clock: Clock, now: datetime, tz: object, pattern: str = "%d %b %H:%M") -> str:
    """One line for people: 'batas 12 Nov 09:34 · sisa 20 m' / 'terlambat 1 j 5 m' / 'terpenuhi'."""
    state = clock.state(now)
    if clock.due_at is None:
        return STATE_NAMES["none"]
    due = clock.due_at.astimezone(tz).strftime(pattern)  # type: ignore[arg-type]
    remaining = clock.remaining(now)
    if state == "running" and remaining is not None:
        return f"batas {due} · sisa {duration_text(remaining)}"
    if state == "overdue" and remaining is not None:
        return f"batas {due} · terlambat {duration_text(remaining)}"
    return f"batas {due} · {STATE_NAMES[state]}"
