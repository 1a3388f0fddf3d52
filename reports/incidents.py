"""Incidents: the cycle step that groups newly labelled posts, ties spike alerts to incidents and keeps
each incident's counts, title and SLA due times current. Idempotent and incremental: each run starts
from the classification and triage watermarks the previous run stored in its job_run row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, exists, func, select, update
from sqlmodel import Session

from pantau.collector.normalize import dedup_key
from pantau.core.config import Settings
from pantau.reports.incident_actions import merge_into
from pantau.reports.incident_candidates import fresh_post_ids, load_context, watermarks
from pantau.reports.incident_grouping import Grouper, IncidentState, jaccard
from pantau.reports.sla import clock_start, due_times
from pantau.storage.incidents import ACTIVE_STATUSES, get_incident, member_stats
from pantau.storage.models import Alert, Incident, Post, PostLabel, utcnow

SYSTEM_ACTOR = "pantau"
TITLE_SAMPLE = 200


@dataclass(slots=True)
class IncidentRun:
    now: datetime
    classification_id: int = 0
    triage_event_id: int = 0
    opened: list[int] = field(default_factory=list)
    placed: int = 0
    linked_alerts: list[int] = field(default_factory=list)
    merged: list[int] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.opened)} incident(s) opened, {self.placed} post(s) grouped, "
            f"{len(self.linked_alerts)} alert(s) linked, {len(self.merged)} merged, "
            f"{len(self.escalated)} escalation(s)"
        )

    def state(self) -> dict[str, object]:
        """Where the next run starts (kept in the job_run row)."""
        return {
            "classification_id": self.classification_id,
            "triage_event_id": self.triage_event_id,
            "opened": self.opened,
            "escalated": self.escalated,
        }


def representative_title(texts: list[str], limit: int) -> str:
    """The text most like the others (highest summed word-set Jaccard; earliest on a tie), trimmed."""
    if not texts:
        return ""
    words = [frozenset(dedup_key(text).split()) for text in texts]
    scores = [sum(jaccard(mine, other) for other in words) for mine in words]
    best = max(range(len(texts)), key=lambda index: (scores[index], -index))
    text = " ".join(texts[best].split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def refresh_incident(session: Session, settings: Settings, incident: Incident) -> None:
    """Recount posts and first/last seen, re-pick the title (unless a triager set it), recompute due times."""
    session.flush()
    count, first, last = member_stats(session, incident.id)  # type: ignore[arg-type]
    incident.post_count = count
    if first is not None and last is not None:
        incident.first_seen, incident.last_seen = first, last
    details = incident.details or {}
    if count and not details.get("title_locked"):
        ids = session.execute(
            select(Post.id).where(Post.incident_id == incident.id).order_by(Post.created_at, Post.id)
        ).scalars()
        ids = list(ids)
        step = max(1, len(ids) // TITLE_SAMPLE)
        sample = ids[::step][:TITLE_SAMPLE]
        texts = session.execute(select(Post.text_redacted).where(Post.id.in_(sample)).order_by(Post.id)).scalars()
        incident.title = representative_title(list(texts), settings.incidents.title_chars) or incident.title
    incident.ack_due_at, incident.resolve_due_at = due_times(settings, incident.label, clock_start(settings, incident))
    session.add(incident)


def _absorb(session: Session, label: str, start: datetime, end: datetime, incident_id: int) -> int:
    """Loose posts of the alert's type inside its window join its incident."""
    table = Post.__table__
    labelled = exists().where(PostLabel.post_id == table.c.id, PostLabel.label == label)
    result = session.execute(
        update(table)
        .where(table.c.incident_id.is_(None), table.c.created_at >= start, table.c.created_at < end, labelled)
        .values(incident_id=incident_id)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def _alert_window(alert: Alert, now: datetime) -> tuple[datetime, datetime]:
    return alert.window_start, alert.resolved_at or max(now, alert.updated_at)


def _majority_holder(session: Session, label: str, start: datetime, end: datetime) -> Incident | None:
    """The active incident already holding at least half of the window's posts of this type (a spike that
    another problem caused, like payment failures during an outage, updates that problem's incident)."""
    labelled = exists().where(PostLabel.post_id == Post.id, PostLabel.label == label)
    rows = session.execute(
        select(Post.incident_id, func.count())
        .where(Post.created_at >= start, Post.created_at < end, labelled)
        .group_by(Post.incident_id)
    ).all()
    total = sum(count for _, count in rows)
    held = [(count, incident_id) for incident_id, count in rows if incident_id is not None]
    if not held or max(held)[0] * 2 < total:
        return None
    incident = get_incident(session, max(held)[1], follow_merged=True)
    return incident if incident is not None and incident.status in ACTIVE_STATUSES else None


def _incident_for_alert(
    session: Session, settings: Settings, alert: Alert, now: datetime, run: IncidentRun
) -> Incident:
    """An open incident of the alert's type around its window (merging automatic ones it overlaps), or a new one."""
    start, end = _alert_window(alert, now)
    holder = _majority_holder(session, alert.label, start, end)
    if holder is not None:
        return holder
    gap = timedelta(hours=settings.incidents.gap_hours)
    candidates = list(
        session.execute(
            select(Incident)
            .where(Incident.label == alert.label, Incident.status.in_(ACTIVE_STATUSES))
            .where(Incident.first_seen < end, Incident.last_seen >= start - gap)
            .order_by(Incident.id)
        ).scalars()
    )
    with_alert = set(session.execute(select(Alert.incident_id).where(Alert.incident_id.is_not(None))).scalars())
    if not candidates:
        incident = Incident(
            label=alert.label,
            title=f"Lonjakan {settings.display_name(alert.label)}",
            status="open",
            first_seen=start,
            last_seen=start,
            created_at=now,
            details={"origin": "alert"},
        )
        session.add(incident)
        session.flush()
        run.opened.append(incident.id)  # type: ignore[arg-type]
        return incident
    target = max(candidates, key=lambda item: (item.id in with_alert, item.post_count, -int(item.id or 0)))
    for other in candidates:
        automatic = other.status == "open" and not (other.details or {}).get("pinned")
        if other is not target and automatic and other.first_seen < end and other.last_seen >= start:
            merge_into(session, other, target, SYSTEM_ACTOR, now)
            run.merged.append(other.id)  # type: ignore[arg-type]
    return target


def link_alerts(session: Session, settings: Settings, now: datetime, run: IncidentRun) -> set[int]:
    """Each new spike alert opens or updates an incident; while open, posts in its window keep joining."""
    touched: set[int] = set()
    alerts = session.execute(
        select(Alert)
        .where(Alert.kind == "spike", Alert.label.in_(settings.complaint_labels))
        .where((Alert.incident_id.is_(None)) | (Alert.status == "open"))
        .order_by(Alert.window_start, Alert.id)
    ).scalars()
    for alert in list(alerts):
        incident = get_incident(session, alert.incident_id, follow_merged=True) if alert.incident_id else None
        if incident is None or incident.status == "merged":
            incident = _incident_for_alert(session, settings, alert, now, run)
            alert.incident_id = incident.id
            session.add(alert)
            run.linked_alerts.append(alert.id)  # type: ignore[arg-type]
        start, end = _alert_window(alert, now)
        run.placed += _absorb(session, alert.label, start, end, incident.id)  # type: ignore[arg-type]
        touched.add(incident.id)  # type: ignore[arg-type]
    session.flush()
    return touched


def _states(session: Session, low: datetime, high: datetime, now: datetime) -> list[IncidentState]:
    incidents = session.execute(
        select(Incident).where(
            Incident.status.in_(ACTIVE_STATUSES), Incident.last_seen >= low, Incident.first_seen <= high
        )
    ).scalars()
    states = {
        incident.id: IncidentState(incident.id, incident.label, incident.first_seen, incident.last_seen)  # type: ignore[arg-type]
        for incident in incidents
    }
    if states:
        for alert in session.execute(select(Alert).where(Alert.incident_id.in_(list(states)))).scalars():
            states[alert.incident_id].windows.append((alert.label, *_alert_window(alert, now)))  # type: ignore[index]
    return list(states.values())


def group_fresh(
    session: Session, settings: Settings, state: dict[str, object] | None, run: IncidentRun, now: datetime
) -> set[int]:
    """Place every post labelled since the last run; returns the incidents that changed."""
    options = settings.incidents
    gap = timedelta(hours=options.gap_hours)
    known = state or {}
    classification_id, event_id = known.get("classification_id"), known.get("triage_event_id")
    fresh_ids = fresh_post_ids(
        session,
        settings.complaint_labels,
        classification_id=int(str(classification_id)) if classification_id is not None else None,
        triage_event_id=int(str(event_id)) if event_id is not None else None,
        backfill=timedelta(days=settings.alerts.backfill_days),
    )
    fresh, context = load_context(session, fresh_ids, settings.complaint_labels, gap)
    if not fresh:
        return set()
    low, high = fresh[0].created_at - gap, fresh[-1].created_at + gap
    before = {post.id: post.incident for post in context}
    grouper = Grouper(options, context, _states(session, low, high, now))
    for post in fresh:
        grouper.place(post)
    real: dict[int, int] = {}
    for key in grouper.opened:
        planned = grouper.incidents[key]
        incident = Incident(
            label=planned.label,
            title="",
            status="open",
            first_seen=planned.first_seen,
            last_seen=planned.last_seen,
            created_at=now,
            details={"origin": "grouping"},
        )
        session.add(incident)
        session.flush()
        real[key] = incident.id  # type: ignore[assignment]
        run.opened.append(incident.id)  # type: ignore[arg-type]
    moves: dict[int, list[int]] = {}
    for post in context:
        if post.incident is not None and before[post.id] is None:
            moves.setdefault(real.get(post.incident, post.incident), []).append(post.id)
    for incident_id, post_ids in moves.items():
        session.execute(
            update(Post.__table__)
            .where(Post.__table__.c.id.in_(post_ids), Post.__table__.c.incident_id.is_(None))
            .values(incident_id=incident_id)
        )
        run.placed += len(post_ids)
    return set(moves)


def update_incidents(
    engine: Engine, settings: Settings, *, now: datetime | None = None, state: dict[str, object] | None = None
) -> IncidentRun:
    """Link alerts, group new posts, refresh what changed, then escalate overdue clocks; one transaction."""
    from pantau.reports.escalation import escalate_overdue

    now = (now or utcnow()).astimezone(UTC)
    with Session(engine) as session:
        classification_id, event_id = watermarks(session)
        run = IncidentRun(now=now, classification_id=classification_id, triage_event_id=event_id)
        if settings.incidents.enabled:
            touched = link_alerts(session, settings, now, run)
            touched |= group_fresh(session, settings, state, run, now)
            for incident_id in sorted(touched):
                incident = session.get(Incident, incident_id)
                if incident is not None and incident.status != "merged":
                    refresh_incident(session, settings, incident)
        session.flush()
        escalate_overdue(session, settings, now, run)
        session.commit()
    return run
