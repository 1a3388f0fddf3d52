"""Dashboard reads: triage backlog by age, open alerts, collection health, the model in use."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from sqlalchemy import func, select
from sqlmodel import Session

from pantau.storage.models import OPEN_TRIAGE_STATUSES, Alert, CollectionRun, Post, SourceState
from pantau.storage.registry import current_model

AGE_EDGES_DAYS = (1, 3, 7)
"""Backlog age buckets: under 1 day, 1-3 days, 3-7 days, over 7 days."""


@dataclass(slots=True)
class Backlog:
    statuses: list[str]
    buckets: list[str]
    counts: dict[str, list[int]]
    """counts[status][bucket index]."""

    def total(self, status: str | None = None) -> int:
        return sum(sum(self.counts[name]) for name in ([status] if status else self.statuses))


@dataclass(slots=True)
class SourceHealth:
    source: str
    state: SourceState | None
    last_run: CollectionRun | None


def backlog(session: Session, now: datetime, statuses: Sequence[str] = OPEN_TRIAGE_STATUSES) -> Backlog:
    """Open posts per status and age; each count is a range on the (status, created_at) index."""
    buckets = [f"<{AGE_EDGES_DAYS[0]}d"]
    buckets += [f"{low}-{high}d" for low, high in pairwise(AGE_EDGES_DAYS)]
    buckets.append(f">{AGE_EDGES_DAYS[-1]}d")
    counts: dict[str, list[int]] = {}
    for status in statuses:
        base = select(func.count()).select_from(Post).where(Post.status == status)
        newer = [
            session.execute(base.where(Post.created_at >= now - timedelta(days=days))).scalar_one()
            for days in AGE_EDGES_DAYS
        ]
        total = session.execute(base).scalar_one()
        cumulative = [*newer, total]
        counts[status] = [cumulative[0]] + [cumulative[i] - cumulative[i - 1] for i in range(1, len(cumulative))]
    return Backlog(statuses=list(statuses), buckets=buckets, counts=counts)


def open_alerts(session: Session, limit: int = 50) -> list[Alert]:
    query = select(Alert).where(Alert.status == "open").order_by(Alert.updated_at.desc()).limit(limit)
    return list(session.execute(query).scalars())


def collection_health(session: Session, sources: Sequence[str]) -> list[SourceHealth]:
    """One entry per configured source (plus any source with stored state), with its latest run."""
    states = {state.source: state for state in session.execute(select(SourceState)).scalars()}
    names = list(dict.fromkeys([*sources, *sorted(states)]))
    latest = (
        select(CollectionRun.source, func.max(CollectionRun.started_at).label("started_at"))
        .group_by(CollectionRun.source)
        .subquery()
    )
    runs = {
        run.source: run
        for run in session.execute(
            select(CollectionRun).join(
                latest,
                (CollectionRun.source == latest.c.source) & (CollectionRun.started_at == latest.c.started_at),
            )
        ).scalars()
    }
    return [SourceHealth(source=name, state=states.get(name), last_run=runs.get(name)) for name in names]


def model_versions(session: Session) -> tuple[str | None, str | None]:
    """(the registry's current model version, the version behind the newest classified post)."""
    registered = current_model(session)
    newest = session.execute(
        select(Post.model_version).where(Post.model_version.is_not(None)).order_by(Post.id.desc()).limit(1)
    ).scalar_one_or_none()
    return (registered.version if registered else None), newest
