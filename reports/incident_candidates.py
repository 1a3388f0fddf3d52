"""Reading posts for incident grouping: which are new since the last run, and the window around them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import exists, func, select
from sqlmodel import Session

from pantau.collector.normalize import dedup_key
from pantau.reports.incident_grouping import Candidate
from pantau.storage.models import Classification, Post, PostLabel, TriageEvent

REFERENCE_KEYS = ("in_reply_to_id", "in_reply_to_status_id", "quoted_id", "quoted_status_id", "reply_to", "repost_of")
CHUNK = 900


def referenced_ids(raw: dict[str, Any] | None, own_id: str) -> tuple[str, ...]:
    """External ids a post quotes, replies to or reposts, from the raw record (X API v2 or imported fields)."""
    if not isinstance(raw, dict):
        return ()
    refs: list[str] = []
    for item in raw.get("referenced_tweets") or []:
        if isinstance(item, dict) and item.get("id"):
            refs.append(str(item["id"]))
    refs += [str(raw[key]) for key in REFERENCE_KEYS if raw.get(key)]
    conversation = raw.get("conversation_id")
    if conversation and str(conversation) != own_id:
        refs.append(str(conversation))
    return tuple(dict.fromkeys(ref for ref in refs if ref != own_id))


def primary_complaint(labels: dict[str, float | None], corrected: list[str] | None, primary: str | None) -> str:
    """The post's issue type for grouping: the triager's first complaint label, else the model's primary,
    else its highest-scoring complaint label."""
    for key in corrected or []:
        if key in labels:
            return key
    if primary in labels:
        return str(primary)
    return max(labels, key=lambda key: (labels[key] or 0.0, key))


def _complaint(labels: Sequence[str]) -> Any:
    return exists().where(PostLabel.post_id == Post.id, PostLabel.label.in_(list(labels)))


def fresh_post_ids(
    session: Session,
    labels: Sequence[str],
    *,
    classification_id: int | None,
    triage_event_id: int | None,
    backfill: timedelta,
) -> list[int]:
    """Loose complaint posts to place: labelled (or relabelled by triage) since the watermarks.

    Without watermarks (the first run) every loose complaint post within `backfill` of the newest post.
    """
    query = select(Post.id).where(Post.incident_id.is_(None), _complaint(labels))
    if classification_id is None or triage_event_id is None:
        newest = session.execute(select(func.max(Post.created_at))).scalar_one_or_none()
        if newest is None:
            return []
        query = query.where(Post.created_at >= newest - backfill)
    else:
        relabelled = exists().where(
            TriageEvent.post_id == Post.id, TriageEvent.field == "labels", TriageEvent.id > triage_event_id
        )
        classified = exists().where(
            Classification.post_id == Post.id,
            Classification.is_current.is_(True),
            Classification.id > classification_id,
        )
        query = query.where(classified | relabelled)
    return list(session.execute(query.order_by(Post.id)).scalars())


def watermarks(session: Session) -> tuple[int, int]:
    """The newest classification and triage event ids: the next run looks only past them."""
    classification = session.execute(select(func.max(Classification.id))).scalar_one_or_none() or 0
    event = session.execute(select(func.max(TriageEvent.id))).scalar_one_or_none() or 0
    return int(classification), int(event)


def _labels_of(session: Session, ids: list[int], complaint: Sequence[str]) -> dict[int, dict[str, float | None]]:
    found: dict[int, dict[str, float | None]] = {}
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(PostLabel.post_id, PostLabel.label, PostLabel.score).where(
                PostLabel.post_id.in_(ids[start : start + CHUNK]), PostLabel.label.in_(list(complaint))
            )
        ).all()
        for post_id, label, score in rows:
            found.setdefault(post_id, {})[label] = score
    return found


def _candidates(session: Session, rows: Iterable[Any], complaint: Sequence[str]) -> list[Candidate]:
    rows = list(rows)
    labels = _labels_of(session, [row.id for row in rows], complaint)
    candidates = []
    for row in rows:
        mine = labels.get(row.id)
        if not mine:
            continue
        candidates.append(
            Candidate(
                id=row.id,
                created_at=row.created_at,
                label=primary_complaint(mine, row.corrected_labels, row.primary_label),
                words=frozenset(dedup_key(row.text_clean).split()),
                source=row.source,
                external_id=row.external_id,
                content_hash=row.content_hash or "",
                simhash=row.simhash if row.simhash and row.text_clean.count(" ") >= 4 else None,
                duplicate_of_id=row.duplicate_of_id,
                refs=referenced_ids(row.raw, row.external_id),
                incident=row.incident_id,
            )
        )
    return candidates


COLUMNS = (
    Post.id,
    Post.created_at,
    Post.source,
    Post.external_id,
    Post.content_hash,
    Post.simhash,
    Post.duplicate_of_id,
    Post.raw,
    Post.text_clean,
    Post.primary_label,
    Post.corrected_labels,
    Post.incident_id,
)


def load_context(
    session: Session, fresh_ids: list[int], complaint: Sequence[str], gap: timedelta
) -> tuple[list[Candidate], list[Candidate]]:
    """(fresh posts, every complaint post within `gap` of them), fresh ones oldest first."""
    if not fresh_ids:
        return [], []
    bounds = session.execute(
        select(func.min(Post.created_at), func.max(Post.created_at)).where(Post.id.in_(fresh_ids[:CHUNK]))
    ).one()
    low, high = bounds
    for start in range(CHUNK, len(fresh_ids), CHUNK):
        more = session.execute(
            select(func.min(Post.created_at), func.max(Post.created_at)).where(
                Post.id.in_(fresh_ids[start : start + CHUNK])
            )
        ).one()
        low, high = min(low, more[0]), max(high, more[1])
    rows = session.execute(
        select(*COLUMNS)
        .where(Post.created_at >= low - gap, Post.created_at <= high + gap, _complaint(complaint))
        .order_by(Post.created_at, Post.id)
    ).all()
    context = _candidates(session, rows, complaint)
    wanted = set(fresh_ids)
    fresh = [post for post in context if post.id in wanted]
    return fresh, context
