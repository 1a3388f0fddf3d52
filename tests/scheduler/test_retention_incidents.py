"""Retention also removes incidents left without posts (with their escalations), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlmodel import Session

from pantau.storage.models import Alert, Delivery, Incident, Post
from pantau.storage.retention import delete_older_than

JAKARTA = ZoneInfo("Asia/Jakarta")
CUTOFF = datetime(2026, 11, 8, tzinfo=JAKARTA)
OLD, NEW = CUTOFF - timedelta(days=3), CUTOFF + timedelta(days=2)


def _incident(session: Session, title: str, first: datetime, last: datetime, **fields: object) -> int:
    incident = Incident(label="outage_performance", title=title, first_seen=first, last_seen=last, **fields)
    session.add(incident)
    session.flush()
    return incident.id  # type: ignore[return-value]


def _post(session: Session, key: str, created: datetime, incident_id: int | None) -> None:
    session.add(
        Post(
            source="demo",
            external_id=key,
            created_at=created,
            text_clean=f"JMO down {key}",
            text_redacted=f"JMO down {key}",
            content_hash=key,
            incident_id=incident_id,
        )
    )


def _escalation(session: Session, incident_id: int, stage: str, status: str) -> None:
    ref = f"{incident_id}:{stage}"
    session.add(Delivery(kind="escalation", ref=ref, channel="file", status=status, created_at=NEW))


def test_incidents_without_posts_go_with_their_escalations_and_the_rest_stay(engine: Engine) -> None:
    with Session(engine) as session:
        old = _incident(session, "old", OLD, OLD + timedelta(hours=2), status="resolved")
        spanning = _incident(session, "spanning", OLD, NEW)
        merged_into_old = _incident(session, "merged into old", OLD, OLD, status="merged", merged_into_id=old)
        merged_into_spanning = _incident(session, "merged, kept", OLD, OLD, status="merged", merged_into_id=spanning)
        just_opened = _incident(session, "opened by an alert, no posts yet", NEW, NEW)
        emptied_earlier = _incident(session, "emptied earlier", OLD, OLD)
        _post(session, "a1", OLD, old)
        _post(session, "a2", OLD + timedelta(hours=2), old)
        _post(session, "b1", OLD, spanning)
        _post(session, "b2", NEW, spanning)
        _escalation(session, old, "acknowledge", "pending")
        _escalation(session, old, "resolve", "sent")
        _escalation(session, spanning, "acknowledge", "sent")
        session.add(Delivery(kind="alert", ref=str(old), channel="file", status="pending", created_at=NEW))
        session.add(Alert(label="outage_performance", window_start=OLD, incident_id=old))
        session.commit()

        outcome = delete_older_than(session, CUTOFF, batch_size=2)

        assert (outcome.posts, outcome.incidents, outcome.escalations) == (3, 3, 2)
        kept = set(session.execute(select(Incident.id)).scalars())
        assert kept == {spanning, merged_into_spanning, just_opened}
        assert emptied_earlier not in kept and merged_into_old not in kept
        refs = {(kind, ref) for kind, ref in session.execute(select(Delivery.kind, Delivery.ref))}
        assert refs == {("escalation", f"{spanning}:acknowledge"), ("alert", str(old))}
        assert session.execute(select(Alert.incident_id)).scalar_one() is None, "the alert stays, unlinked"
        assert session.execute(select(Post.incident_id)).scalar_one() == spanning
        again = delete_older_than(session, CUTOFF)
        assert (again.posts, again.incidents, again.escalations) == (0, 0, 0)
