"""Spike alerts: each complete hour's count per complaint type against its baseline (reports.baseline).

One alert per type per incident: the first unusual hour opens it, later unusual hours update its
latest figures and peak, and `resolve_after_quiet_hours` ordinary hours in a row resolve it. Hours
already covered by an alert are never judged twice, so checking a range again (or a past range, as
when a backfilled import is checked) changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, or_, select
from sqlmodel import Session

from pantau.core.config import Settings
from pantau.reports.alert_message import alert_file, alert_subject
from pantau.reports.baseline import Expectation, expectation, history_hours
from pantau.reports.delivery import queue_message
from pantau.storage.label_counts import (
    first_post_time,
    hour_index,
    hour_start,
    hourly_label_counts,
    newest_classification_id,
    newest_post_time,
    oldest_classified_after,
)
from pantau.storage.models import Alert, Post, PostLabel, utcnow


@dataclass(slots=True)
class AlertCheck:
    since: datetime
    until: datetime
    classification_id: int = 0
    """The newest verdict the check has seen: verdicts after it mark their hours for another look."""
    opened: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    updated: int = 0

    @property
    def hours(self) -> int:
        return max(0, int((self.until - self.since).total_seconds() // 3600))

    def summary(self) -> str:
        span = f"{self.hours} hour(s) checked"
        return f"{span}, {len(self.opened)} alert(s) opened, {len(self.resolved)} resolved, {self.updated} updated"

    def state(self) -> dict[str, object]:
        """What the next check starts from (kept in the job_run row of the check)."""
        return {
            "until": self.until.isoformat(),
            "classification_id": self.classification_id,
            "opened": self.opened,
            "resolved": self.resolved,
        }


def floor_hour(moment: datetime) -> datetime:
    return hour_start(hour_index(moment))


def plan_window(session: Session, settings: Settings, until: datetime, state: dict[str, object] | None) -> datetime:
    """Where a check starts: the last check's end, or earlier when posts were labelled late; bounded."""
    newest = newest_post_time(session)
    if newest is None:
        return until
    since: datetime | None = None
    if state and isinstance(state.get("until"), str):
        since = datetime.fromisoformat(str(state["until"]))
        late = oldest_classified_after(session, int(str(state.get("classification_id") or 0)))
        if late is not None:
            since = min(since, floor_hour(late))
    else:
        first = first_post_time(session)
        since = floor_hour(first) if first is not None else until
    return max(since, floor_hour(newest) - timedelta(days=settings.alerts.backfill_days))


def check_alerts(
    engine: Engine,
    settings: Settings,
    *,
    now: datetime | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    state: dict[str, object] | None = None,
) -> AlertCheck:
    """Evaluate every complete hour in [since, until) (default: from `state`, up to the last full hour)."""
    now = (now or utcnow()).astimezone(UTC)
    end = floor_hour(min(until or now, now))
    with Session(engine) as session:
        seen = newest_classification_id(session)
        start = floor_hour(since) if since is not None else plan_window(session, settings, end, state)
        check = AlertCheck(since=min(start, end), until=end, classification_id=seen)
        if start >= end:
            return check
        first = first_post_time(session)
        history_start = hour_index(first) if first is not None else hour_index(start)
        labels = settings.complaint_labels
        counts = hourly_label_counts(
            session, start - timedelta(hours=history_hours(settings.alerts.baseline_weeks)), end, labels
        )
        known = _known_alerts(session, labels, start, end)
        for label in labels:
            _check_label(session, settings, check, label, counts, known.get(label, []), history_start, now)
        session.commit()
    return check


def _known_alerts(session: Session, labels: list[str], start: datetime, end: datetime) -> dict[str, list[Alert]]:
    rows = session.execute(
        select(Alert)
        .where(Alert.kind == "spike", Alert.label.in_(labels), Alert.window_start < end)
        .where(or_(Alert.status == "open", Alert.resolved_at > start))
        .order_by(Alert.window_start)
    ).scalars()
    known: dict[str, list[Alert]] = {}
    for alert in rows:
        known.setdefault(alert.label, []).append(alert)
    return known


def _check_label(
    session: Session,
    settings: Settings,
    check: AlertCheck,
    label: str,
    counts: dict[tuple[str, int], int],
    known: list[Alert],
    history_start: int,
    now: datetime,
) -> None:
    options = settings.alerts
    current = next((alert for alert in known if alert.status == "open"), None)
    covered = [(alert.window_start, alert.resolved_at) for alert in known if alert.status == "resolved"]
    for hour in range(hour_index(check.since), hour_index(check.until)):
        begins = hour_start(hour)
        if any(low <= begins < high for low, high in covered if high is not None):
            continue
        if current is not None and begins < current.window_start:
            continue
        observed = counts.get((label, hour), 0)
        baseline = expectation(
            lambda h: counts.get((label, h), 0), hour, weeks=options.baseline_weeks, history_start=history_start
        )
        unusual = baseline is not None and observed >= options.min_count and baseline.z(observed) >= options.z_threshold
        if unusual and baseline is not None:
            if current is None:
                current = _open(session, settings, label, hour, observed, baseline, now)
                check.opened.append(current.id)  # type: ignore[arg-type]
            else:
                _update(session, settings, current, hour, observed, baseline)
                check.updated += 1
        elif current is not None and hour - int(current.details["last_hour"]) >= options.resolve_after_quiet_hours:
            quiet_from = int(current.details["last_hour"]) + 1
            _resolve(session, settings, current, hour_start(quiet_from + options.resolve_after_quiet_hours), now)
            check.resolved.append(current.id)  # type: ignore[arg-type]
            current = None


def _sample_ids(session: Session, label: str, hour: int, limit: int) -> list[int]:
    begins = hour_start(hour)
    query = (
        select(PostLabel.post_id)
        .join(Post, Post.id == PostLabel.post_id)
        .where(
            PostLabel.label == label, PostLabel.created_at >= begins, PostLabel.created_at < begins + timedelta(hours=1)
        )
        .order_by(PostLabel.score.desc().nulls_last(), PostLabel.post_id)
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def _figures(hour: int, observed: int, baseline: Expectation) -> dict[str, object]:
    return {
        "hour": hour_start(hour).isoformat(),
        "observed": observed,
        "expected": round(baseline.expected, 3),
        "z": round(baseline.z(observed), 2),
        "baseline": baseline.method,
        "samples": baseline.samples,
    }


def _open(
    session: Session, settings: Settings, label: str, hour: int, observed: int, baseline: Expectation, now: datetime
) -> Alert:
    begins = hour_start(hour)
    alert = Alert(
        kind="spike",
        label=label,
        status="open",
        opened_at=begins + timedelta(hours=1),
        window_start=begins,
        updated_at=begins + timedelta(hours=1),
        observed=observed,
        expected=round(baseline.expected, 3),
        score=round(baseline.z(observed), 2),
        peak_observed=observed,
        sample_post_ids=_sample_ids(session, label, hour, settings.alerts.sample_posts),
        details={
            "last_hour": hour,
            "unusual_hours": 1,
            "first": _figures(hour, observed, baseline),
            "peak": _figures(hour, observed, baseline),
        },
    )
    session.add(alert)
    session.flush()
    _announce(session, settings, alert, "opened", alert.opened_at, now)
    return alert


def _update(
    session: Session, settings: Settings, alert: Alert, hour: int, observed: int, baseline: Expectation
) -> None:
    details = dict(alert.details)
    if hour <= int(details["last_hour"]):
        return
    details["last_hour"] = hour
    details["unusual_hours"] = int(details.get("unusual_hours", 1)) + 1
    if observed > alert.peak_observed:
        alert.peak_observed = observed
        details["peak"] = _figures(hour, observed, baseline)
    alert.observed, alert.expected, alert.score = observed, round(baseline.expected, 3), round(baseline.z(observed), 2)
    alert.updated_at = hour_start(hour + 1)
    room = settings.alerts.sample_posts - len(alert.sample_post_ids)
    if room > 0:
        extra = [i for i in _sample_ids(session, alert.label, hour, room * 2) if i not in alert.sample_post_ids]
        alert.sample_post_ids = [*alert.sample_post_ids, *extra[:room]]
    alert.details = details
    session.add(alert)


def _resolve(session: Session, settings: Settings, alert: Alert, at: datetime, now: datetime) -> None:
    alert.status = "resolved"
    alert.resolved_at = at
    alert.updated_at = at
    session.add(alert)
    _announce(session, settings, alert, "resolved", at, now)


def _announce(session: Session, settings: Settings, alert: Alert, event: str, at: datetime, now: datetime) -> None:
    """Queue the message in this transaction; alerts found in a backfill are filed but not pushed."""
    fresh = at >= now - timedelta(hours=settings.alerts.deliver_max_age_hours)
    queue_message(
        session,
        settings,
        f"alert_{event}",
        str(alert.id),
        subject=alert_subject(settings, alert, event),
        file_path=str(alert_file(settings, alert, event)),
        recipients=settings.alerts.recipients,
        push=fresh,
    )
