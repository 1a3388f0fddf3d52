"""Triage changes on posts (status, assignee, note, corrected labels), each recorded as a TriageEvent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import null, select, update
from sqlmodel import Session

from pantau.storage.classifications import set_corrected_labels
from pantau.storage.models import TRIAGE_STATUSES, Post, TriageEvent, utcnow

MAX_BULK = 500
MAX_NOTE_LENGTH = 4000
MAX_ASSIGNEE_LENGTH = 128


class TriageError(ValueError):
    """A triage change is not allowed; the message says why, for the person who asked."""


@dataclass(slots=True)
class TriageChange:
    """What to change; None leaves a field as it is. An empty assignee or note clears it;
    an empty label list withdraws the correction so the model's labels count again."""

    status: str | None = None
    assignee: str | None = None
    note: str | None = None
    labels: list[str] | None = None


@dataclass(frozen=True, slots=True)
class Taxonomy:
    keys: tuple[str, ...]
    exclusive: str | None


def validate_labels(labels: Sequence[str], taxonomy: Taxonomy) -> list[str]:
    unique = list(dict.fromkeys(labels))
    unknown = [label for label in unique if label not in taxonomy.keys]
    if unknown:
        raise TriageError(f"unknown label(s): {', '.join(unknown)}")
    if taxonomy.exclusive in unique and len(unique) > 1:
        raise TriageError(f"{taxonomy.exclusive} cannot be combined with another label")
    return unique


def validate_change(change: TriageChange, taxonomy: Taxonomy) -> TriageChange:
    if change.status is not None and change.status not in TRIAGE_STATUSES:
        raise TriageError(f"status must be one of {', '.join(TRIAGE_STATUSES)}")
    if change.assignee is not None and len(change.assignee.strip()) > MAX_ASSIGNEE_LENGTH:
        raise TriageError(f"assignee is longer than {MAX_ASSIGNEE_LENGTH} characters")
    if change.note is not None and len(change.note) > MAX_NOTE_LENGTH:
        raise TriageError(f"note is longer than {MAX_NOTE_LENGTH} characters")
    labels = validate_labels(change.labels, taxonomy) if change.labels is not None else None
    return TriageChange(change.status, change.assignee, change.note, labels)


def _event(post: Post, actor: str, field: str, old: object, new: object) -> TriageEvent:
    return TriageEvent(post_id=post.id, actor=actor, at=utcnow(), field=field, old_value=old, new_value=new)  # type: ignore[arg-type]


def apply_change(session: Session, post: Post, actor: str, change: TriageChange, taxonomy: Taxonomy) -> list[str]:
    """Apply a validated change in the caller's transaction; returns the fields that really changed."""
    change = validate_change(change, taxonomy)
    events: list[TriageEvent] = []
    if change.status is not None and change.status != post.status:
        events.append(_event(post, actor, "status", post.status, change.status))
        post.status = change.status
    if change.assignee is not None:
        assignee = change.assignee.strip() or None
        if assignee != post.assignee:
            events.append(_event(post, actor, "assignee", post.assignee, assignee))
            post.assignee = assignee
    if change.note is not None:
        note = change.note.strip() or None
        if note != post.note:
            events.append(_event(post, actor, "note", post.note, note))
            post.note = note
    if change.labels is not None:
        new_labels = change.labels or None
        if new_labels != post.corrected_labels:
            events.append(_event(post, actor, "labels", post.corrected_labels, new_labels))
            set_corrected_labels(session, post, new_labels)
            if new_labels is None:
                # The JSON column would store a JSON 'null'; SQL NULL is what "no correction" means in queries.
                session.flush()
                table = Post.__table__
                session.execute(update(table).where(table.c.id == post.id).values(corrected_labels=null()))
    if events:
        post.triaged_at = utcnow()
        post.triaged_by = actor
        session.add(post)
        session.add_all(events)
    return [event.field for event in events]


def apply_bulk(session: Session, post_ids: Sequence[int], actor: str, change: TriageChange, taxonomy: Taxonomy) -> int:
    """Apply one change to many posts; returns how many posts changed. Unknown ids are ignored."""
    if len(post_ids) > MAX_BULK:
        raise TriageError(f"at most {MAX_BULK} posts at a time")
    change = validate_change(change, taxonomy)
    posts = session.execute(select(Post).where(Post.id.in_(list(post_ids)))).scalars().all()
    return sum(1 for post in posts if apply_change(session, post, actor, change, taxonomy))


def history(session: Session, post_id: int, limit: int = 100) -> list[TriageEvent]:
    query = (
        select(TriageEvent)
        .where(TriageEvent.post_id == post_id)
        .order_by(TriageEvent.at.desc(), TriageEvent.id.desc())
        .limit(limit)
    )
    return list(session.execute(query).scalars())
