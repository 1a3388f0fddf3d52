"""Outgoing messages per channel: queued in the same transaction as what they announce, retried."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from pantau.storage.models import Delivery, utcnow

MAX_BACKOFF = timedelta(hours=6)


def enqueue_delivery(
    session: Session, kind: str, ref: str, channel: str, *, subject: str, payload_path: str | None
) -> Delivery:
    """The delivery for (kind, ref, channel), created pending if it does not exist yet (idempotent)."""
    existing = find_delivery(session, kind, ref, channel)
    if existing is not None:
        return existing
    delivery = Delivery(kind=kind, ref=ref, channel=channel, subject=subject, payload_path=payload_path)
    try:
        with session.begin_nested():
            session.add(delivery)
    except IntegrityError:
        found = find_delivery(session, kind, ref, channel)
        if found is None:
            raise
        return found
    return delivery


def find_delivery(session: Session, kind: str, ref: str, channel: str) -> Delivery | None:
    query = select(Delivery).where(Delivery.kind == kind, Delivery.ref == ref, Delivery.channel == channel)
    return session.execute(query).scalars().first()


def due_deliveries(session: Session, now: datetime, limit: int = 100) -> list[Delivery]:
    """Pending deliveries whose next attempt is due, oldest first."""
    query = (
        select(Delivery)
        .where(Delivery.status == "pending")
        .where(or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now))
        .order_by(Delivery.id)
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def deliveries_for(session: Session, kind: str | None = None, ref: str | None = None) -> list[Delivery]:
    query = select(Delivery).order_by(Delivery.id)
    if kind is not None:
        query = query.where(Delivery.kind == kind)
    if ref is not None:
        query = query.where(Delivery.ref == ref)
    return list(session.execute(query).scalars())


def mark_sent(delivery: Delivery, now: datetime | None = None) -> None:
    delivery.status = "sent"
    delivery.attempts += 1
    delivery.sent_at = now or utcnow()
    delivery.last_error = None
    delivery.next_attempt_at = None


def mark_failed_attempt(
    delivery: Delivery, error: str, *, now: datetime, max_attempts: int, backoff_seconds: int
) -> None:
    """Count a failed attempt: retry later with a growing wait, or give up after `max_attempts`."""
    delivery.attempts += 1
    delivery.last_error = error[:2000]
    if delivery.attempts >= max_attempts:
        delivery.status = "failed"
        delivery.next_attempt_at = None
        return
    wait = min(timedelta(seconds=backoff_seconds * 3 ** (delivery.attempts - 1)), MAX_BACKOFF)
    delivery.next_attempt_at = now + wait
