"""The demo stream: the outage day becomes one incident with its post count and SLA status, once."""

from __future__ import annotations

import json
from datetime import datetime

from incident_support import AFTER_DEMO, JAKARTA, grouped_demo, incidents, run_steps
from sqlalchemy import Engine, select
from sqlmodel import Session

from pantau.core.config import Settings
from pantau.core.timeutil import local_day_bounds
from pantau.storage.models import Alert, Delivery, Post, PostLabel
from support import pantau

OUTAGE_DAY = datetime(2026, 11, 12).date()


def outage_posts_of_the_day(session: Session) -> list[tuple[int, int | None]]:
    start, end = local_day_bounds(OUTAGE_DAY, JAKARTA)
    return list(
        session.execute(
            select(Post.id, Post.incident_id)
            .join(PostLabel, PostLabel.post_id == Post.id)
            .where(PostLabel.label == "outage_performance", Post.created_at >= start, Post.created_at < end)
        ).all()
    )


def test_the_outage_day_is_one_outage_incident_with_its_posts_alerts_and_clocks(
    engine: Engine, settings: Settings
) -> None:
    report = grouped_demo(engine, settings)
    assert "1 incident(s) opened, 114 post(s) grouped, 2 alert(s) linked" in report.steps[-1].summary

    [incident] = incidents(engine)
    assert incident.label == "outage_performance" and incident.status == "open"
    assert incident.first_seen.astimezone(JAKARTA) == datetime(2026, 11, 12, 9, 4, tzinfo=JAKARTA)
    assert incident.last_seen.astimezone(JAKARTA) == datetime(2026, 11, 12, 15, 25, tzinfo=JAKARTA)
    assert incident.post_count == 114
    assert incident.title.startswith("@BPJSTKinfo JMO down lagi?? dari pagi ga bisa buka")
    with Session(engine) as session:
        day = outage_posts_of_the_day(session)
        assert len(day) == 113 and {incident_id for _, incident_id in day} == {incident.id}
        members = session.execute(select(Post.id).where(Post.incident_id == incident.id)).scalars().all()
        assert len(members) == incident.post_count
        alerts = session.execute(select(Alert.label, Alert.incident_id).order_by(Alert.window_start)).all()
    # The payment spike at noon was the outage's doing: most of its posts are already in the outage incident.
    assert alerts == [("outage_performance", incident.id), ("claims_payments", incident.id)]

    # The shipped config gives outages 30 minutes to acknowledge and 4 hours to resolve, around the clock.
    assert incident.ack_due_at is not None and incident.resolve_due_at is not None
    assert incident.ack_due_at.astimezone(JAKARTA) == datetime(2026, 11, 12, 9, 34, tzinfo=JAKARTA)
    assert incident.resolve_due_at.astimezone(JAKARTA) == datetime(2026, 11, 12, 13, 4, tzinfo=JAKARTA)
    assert set(incident.details["escalations"]) == {"acknowledge", "resolve"}
    with Session(engine) as session:
        escalations = session.execute(
            select(Delivery.ref, Delivery.channel).where(Delivery.kind == "escalation").order_by(Delivery.ref)
        ).all()
    # Found three days late (a backfill), the escalations are filed but not pushed.
    assert escalations == [(f"{incident.id}:acknowledge", "file"), (f"{incident.id}:resolve", "file")]


def test_a_second_run_changes_nothing(sqlite_engine: Engine, sqlite_settings: Settings) -> None:
    grouped_demo(sqlite_engine, sqlite_settings)
    before = [(i.id, i.post_count, i.title, i.first_seen, i.last_seen) for i in incidents(sqlite_engine)]
    again = run_steps(sqlite_engine, sqlite_settings, AFTER_DEMO)
    assert again.steps[-1].summary == (
        "0 incident(s) opened, 0 post(s) grouped, 0 alert(s) linked, 0 merged, 0 escalation(s)"
    )
    assert [(i.id, i.post_count, i.title, i.first_seen, i.last_seen) for i in incidents(sqlite_engine)] == before


def test_the_cli_lists_and_shows_the_incident_with_its_clock(sqlite_engine: Engine, sqlite_settings: Settings) -> None:
    grouped_demo(sqlite_engine, sqlite_settings)
    listed = pantau("incidents", "list", "--format", "json")
    assert listed.exit_code == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    assert row["label"] == "outage_performance" and row["post_count"] == 114
    assert row["sla_state"] == "overdue" and row["acknowledge"]["state"] == "overdue"
    assert row["trend"]["direction"] == "quiet"
    shown = pantau("incidents", "show", str(row["id"]), "--posts", "3")
    assert shown.exit_code == 0, shown.stderr
    assert "114 posts" in shown.stdout and "acknowledge: batas 12 Nov 09:34 · terlambat" in shown.stdout
    assert len([line for line in shown.stdout.splitlines() if line.startswith("  ")]) == 3
    table = pantau("incidents", "list")
    assert table.exit_code == 0 and "⚠" in table.stdout, "overdue incidents are flagged"
