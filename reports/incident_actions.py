"""What triagers do with incidents: merge, split, acknowledge and resolve; each change is noted on the incident."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from pantau.core.config import Settings
from pantau.storage.incidents import (
    ACTIVE_STATUSES,
    assign_posts,
    get_incident,
    member_ids,
    move_all_posts,
    relink_alerts,
)
from pantau.storage.models import OPEN_TRIAGE_STATUSES, Incident, Post, utcnow
from pantau.storage.triage import Taxonomy, TriageChange, apply_change

MAX_HISTORY = 200


class IncidentError(ValueError):
    """A change that is not allowed; the message says why, for the person who asked."""


def note(incident: Incident, actor: str, action: str, at: datetime, **fields: Any) -> None:
    """Append to the incident's history (kept in details) and reassign details so the JSON change is saved."""
    details = dict(incident.details or {})
    history = [*details.get("history", []), {"at": at.isoformat(), "actor": actor, "action": action, **fields}]
    details["history"] = history[-MAX_HISTORY:]
    incident.details = details


def pin(incident: Incident) -> None:
    """A triager shaped this incident: automatic grouping never merges it away again."""
    incident.details = {**(incident.details or {}), "pinned": True}


def require(session: Session, incident_id: int) -> Incident:
    incident = get_incident(session, incident_id)
    if incident is None:
        raise IncidentError(f"incident {incident_id} does not exist")
    return incident


def merge_into(session: Session, source: Incident, target: Incident, actor: str, at: datetime) -> None:
    """Move every post and alert of `source` to `target` and mark `source` merged (it stays as a pointer)."""
    move_all_posts(session, source.id, target.id)  # type: ignore[arg-type]
    relink_alerts(session, source.id, target.id)  # type: ignore[arg-type]
    source.status = "merged"
    source.merged_into_id = target.id
    source.post_count = 0
    note(source, actor, "merged_into", at, target=target.id)
    note(target, actor, "merged", at, source=source.id)
    session.add_all([source, target])


def merge_incidents(
    session: Session, settings: Settings, target_id: int, source_ids: Sequence[int], actor: str
) -> Incident:
    """Merge `source_ids` into `target_id`; post counts add up, alerts follow, the target keeps its type."""
    from pantau.reports.incidents import refresh_incident

    target = require(session, target_id)
    if target.status == "merged":
        raise IncidentError(f"incident {target_id} was merged into {target.merged_into_id}; merge into that one")
    sources = []
    for source_id in dict.fromkeys(source_ids):
        if source_id == target_id:
            raise IncidentError("an incident cannot be merged into itself")
        source = require(session, source_id)
        if source.status == "merged":
            raise IncidentError(f"incident {source_id} is already merged into {source.merged_into_id}")
        sources.append(source)
    if not sources:
        raise IncidentError("name at least one incident to merge")
    now = utcnow()
    for source in sources:
        merge_into(session, source, target, actor, now)
    pin(target)
    session.flush()
    refresh_incident(session, settings, target)
    return target


def split_incident(
    session: Session,
    settings: Settings,
    incident_id: int,
    post_ids: Sequence[int],
    actor: str,
    *,
    title: str | None = None,
) -> Incident:
    """Move `post_ids` out of an incident into a new one of the same type; both keep consistent counts."""
    from pantau.reports.incidents import refresh_incident

    source = require(session, incident_id)
    if source.status == "merged":
        raise IncidentError(f"incident {incident_id} was merged into {source.merged_into_id}")
    members = set(member_ids(session, incident_id))
    wanted = list(dict.fromkeys(post_ids))
    strangers = [post_id for post_id in wanted if post_id not in members]
    if strangers:
        raise IncidentError(f"post(s) {', '.join(map(str, strangers))} are not in incident {incident_id}")
    if not wanted:
        raise IncidentError("name at least one post to split off")
    if len(wanted) == len(members):
        raise IncidentError("a split must leave at least one post in the incident")
    now = utcnow()
    created = session.execute(select(Post.created_at).where(Post.id.in_(wanted))).scalars().all()
    part = Incident(
        label=source.label,
        title=(title or "").strip()[: settings.incidents.title_chars] or source.title,
        status="open",
        first_seen=min(created),
        last_seen=max(created),
        created_at=source.created_at,
        details={"pinned": True, "split_from": source.id, **({"title_locked": True} if title else {})},
    )
    session.add(part)
    session.flush()
    assign_posts(session, wanted, part.id)
    note(part, actor, "split_from", now, source=source.id, posts=len(wanted))
    note(source, actor, "split", now, target=part.id, posts=len(wanted))
    pin(source)
    session.flush()
    refresh_incident(session, settings, source)
    refresh_incident(session, settings, part)
    return part


def _taxonomy(settings: Settings) -> Taxonomy:
    return Taxonomy(tuple(settings.label_keys), settings.exclusive_label)


def _set_posts(
    session: Session, settings: Settings, incident: Incident, actor: str, status: str, only: Sequence[str]
) -> int:
    query = select(Post).where(Post.incident_id == incident.id, Post.status.in_(list(only)))
    posts = session.execute(query).scalars().all()
    taxonomy = _taxonomy(settings)
    return sum(1 for post in posts if apply_change(session, post, actor, TriageChange(status=status), taxonomy))


def acknowledge_incident(
    session: Session, settings: Settings, incident_id: int, actor: str, now: datetime | None = None
) -> Incident:
    """Stop the acknowledge clock; the incident's new posts become acknowledged too."""
    incident = require(session, incident_id)
    if incident.status != "open":
        raise IncidentError(f"incident {incident_id} is {incident.status}; only open incidents can be acknowledged")
    now = now or utcnow()
    incident.status, incident.acknowledged_at = "acknowledged", now
    changed = _set_posts(session, settings, incident, actor, "acknowledged", ("new",))
    note(incident, actor, "acknowledged", now, posts=changed)
    session.add(incident)
    return incident


def resolve_incident(
    session: Session, settings: Settings, incident_id: int, actor: str, now: datetime | None = None
) -> Incident:
    """Stop both clocks; the incident's open posts are resolved with it."""
    incident = require(session, incident_id)
    if incident.status not in ACTIVE_STATUSES:
        raise IncidentError(f"incident {incident_id} is {incident.status}; only open or acknowledged ones resolve")
    now = now or utcnow()
    incident.status, incident.resolved_at = "resolved", now
    changed = _set_posts(session, settings, incident, actor, "resolved", OPEN_TRIAGE_STATUSES)
    note(incident, actor, "resolved", now, posts=changed)
    session.add(incident)
    return incident


def retitle_incident(session: Session, settings: Settings, incident_id: int, title: str, actor: str) -> Incident:
    incident = require(session, incident_id)
    text = " ".join(title.split())[: settings.incidents.title_chars]
    if not text:
        raise IncidentError("title must not be empty")
    incident.title = text
    incident.details = {**(incident.details or {}), "title_locked": True}
    note(incident, actor, "retitled", utcnow())
    session.add(incident)
    return incident
