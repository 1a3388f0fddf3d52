"""Triagers merge and split incidents; post counts always add up and automatic grouping respects their work."""

from __future__ import annotations

from incident_support import AFTER_DEMO, grouped_demo, incidents, run_steps
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from pantau.core.config import Settings
from pantau.reports.incident_actions import IncidentError, merge_incidents, split_incident
from pantau.storage.incidents import member_ids
from pantau.storage.models import Alert, Incident, Post
from support import pantau


def counted(engine: Engine) -> dict[int, int]:
    """Posts per incident as the post table says (what post_count must always equal)."""
    with Session(engine) as session:
        rows = session.execute(
            select(Post.incident_id, func.count()).where(Post.incident_id.is_not(None)).group_by(Post.incident_id)
        ).all()
    return {incident_id: count for incident_id, count in rows}


def assert_consistent(engine: Engine) -> None:
    live = {incident.id: incident.post_count for incident in incidents(engine)}
    assert counted(engine) == {key: value for key, value in live.items() if value}
    assert all(incident.post_count == 0 for incident in incidents(engine, merged=True) if incident.status == "merged")


def test_split_then_merge_keeps_post_counts_consistent(engine: Engine, settings: Settings) -> None:
    grouped_demo(engine, settings)
    [outage] = incidents(engine)
    with Session(engine) as session:
        members = member_ids(session, outage.id)
        chosen = members[-10:]
        part = split_incident(session, settings, outage.id, chosen, "siti", title="Setelah pulih: masih lambat")
        session.commit()
        part_id = part.id
    after_split = {incident.id: incident.post_count for incident in incidents(engine)}
    assert after_split == {outage.id: 104, part_id: 10}
    assert_consistent(engine)
    [split_off] = [incident for incident in incidents(engine) if incident.id == part_id]
    assert split_off.title == "Setelah pulih: masih lambat" and split_off.label == "outage_performance"
    assert split_off.details["pinned"] and split_off.details["split_from"] == outage.id

    # A later cycle neither pulls the split posts back nor merges the triager's incident away.
    run_steps(engine, settings, AFTER_DEMO)
    assert {incident.id: incident.post_count for incident in incidents(engine)} == after_split

    with Session(engine) as session:
        merged = merge_incidents(session, settings, outage.id, [part_id], "siti")
        session.commit()
        assert merged.post_count == 114
    assert [(i.id, i.post_count) for i in incidents(engine)] == [(outage.id, 114)]
    [gone] = [incident for incident in incidents(engine, merged=True) if incident.id == part_id]
    assert gone.status == "merged" and gone.merged_into_id == outage.id
    assert_consistent(engine)


def test_merge_moves_alerts_and_refuses_nonsense(sqlite_engine: Engine, sqlite_settings: Settings) -> None:
    grouped_demo(sqlite_engine, sqlite_settings)
    [outage] = incidents(sqlite_engine)
    with Session(sqlite_engine) as session:
        part = split_incident(session, sqlite_settings, outage.id, member_ids(session, outage.id)[:5], "siti")
        session.commit()
        alert = session.execute(select(Alert).where(Alert.label == "outage_performance")).scalars().one()
        alert.incident_id = part.id
        session.add(alert)
        session.commit()
        merge_incidents(session, sqlite_settings, outage.id, [part.id], "siti")
        session.commit()
        assert session.get(Alert, alert.id).incident_id == outage.id  # type: ignore[union-attr]
        for target, sources, message in (
            (outage.id, [outage.id], "into itself"),
            (outage.id, [part.id], "already merged"),
            (part.id, [outage.id], "merge into that one"),
            (outage.id, [999_999], "does not exist"),
        ):
            try:
                merge_incidents(session, sqlite_settings, target, sources, "siti")
            except IncidentError as exc:
                assert message in str(exc)
            else:
                raise AssertionError(f"merging {sources} into {target} should fail")
            session.rollback()
        try:
            split_incident(session, sqlite_settings, outage.id, member_ids(session, outage.id), "siti")
        except IncidentError as exc:
            assert "at least one post" in str(exc)
        else:
            raise AssertionError("a split must leave a post behind")


def test_the_cli_splits_merges_acknowledges_and_resolves(sqlite_engine: Engine, sqlite_settings: Settings) -> None:
    grouped_demo(sqlite_engine, sqlite_settings)
    [outage] = incidents(sqlite_engine)
    with Session(sqlite_engine) as session:
        two = [str(post_id) for post_id in member_ids(session, outage.id)[:2]]
    split = pantau("incidents", "split", str(outage.id), *two, "--by", "siti")
    assert split.exit_code == 0, split.stderr
    new_id = int(split.stdout.strip())
    assert pantau("incidents", "merge", str(outage.id), str(new_id), "--by", "siti").exit_code == 0
    assert pantau("incidents", "ack", str(outage.id), "--by", "siti").exit_code == 0
    again = pantau("incidents", "ack", str(outage.id))
    assert again.exit_code == 1 and "only open incidents" in again.stderr
    assert pantau("incidents", "resolve", str(outage.id), "--by", "siti").exit_code == 0
    with Session(sqlite_engine) as session:
        incident = session.get(Incident, outage.id)
        assert incident is not None and incident.status == "resolved" and incident.post_count == 114
        statuses = set(session.execute(select(Post.status).where(Post.incident_id == outage.id)).scalars())
        actions = [entry["action"] for entry in incident.details["history"]]
    assert statuses == {"resolved"}
    assert actions == ["split", "merged", "acknowledged", "resolved"]
    missing = pantau("incidents", "split", str(outage.id), "1")
    assert missing.exit_code == 1 and "not in incident" in missing.stderr
