"""Spike alerts on the demo stream: the outage raises one alert that resolves; quiet days raise none."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import Engine, select
from sqlmodel import Session

from labelled_demo import demo_subset, import_labelled_demo
from pantau.core.config import Settings, load_settings
from pantau.pipeline.cycle import CycleReport, alert_step
from pantau.reports.alerts import check_alerts
from pantau.storage.db import make_engine, upgrade
from pantau.storage.models import Alert, Delivery, PostLabel
from support import write_config

JAKARTA = ZoneInfo("Asia/Jakarta")
AFTER_DEMO = datetime(2026, 11, 15, 0, 30, tzinfo=JAKARTA)


def alerts(engine: Engine) -> list[Alert]:
    with Session(engine) as session:
        return list(session.execute(select(Alert).order_by(Alert.id)).scalars())


def run_check(engine: Engine, settings: Settings) -> CycleReport:
    report = CycleReport()
    alert_step(engine, settings, report)
    assert report.ok, report.steps
    return report


def test_outage_day_raises_one_outage_alert_that_resolves(engine: Engine, settings: Settings) -> None:
    import_labelled_demo(engine, settings)
    with time_machine.travel(AFTER_DEMO, tick=False):
        run_check(engine, settings)

    outage = [alert for alert in alerts(engine) if alert.label == "outage_performance"]
    assert len(outage) == 1
    alert = outage[0]
    assert alert.window_start.astimezone(JAKARTA) == datetime(2026, 11, 12, 9, 0, tzinfo=JAKARTA)
    assert alert.status == "resolved"
    assert alert.resolved_at is not None
    assert alert.resolved_at.astimezone(JAKARTA) == datetime(2026, 11, 12, 16, 0, tzinfo=JAKARTA)
    assert alert.details["unusual_hours"] == 5
    assert alert.peak_observed == 30
    assert alert.details["peak"]["expected"] < 1
    assert alert.details["first"]["baseline"] == "same hour of the day"
    with Session(engine) as session:
        labels = session.execute(select(PostLabel.label).where(PostLabel.post_id.in_(alert.sample_post_ids))).scalars()
        assert len(alert.sample_post_ids) == settings.alerts.sample_posts
        assert "outage_performance" in set(labels)
    assert all(a.window_start.astimezone(JAKARTA).date() == datetime(2026, 11, 12).date() for a in alerts(engine))


def test_checking_the_same_range_again_adds_nothing(sqlite_engine: Engine, sqlite_settings: Settings) -> None:
    import_labelled_demo(sqlite_engine, sqlite_settings)
    since = datetime(2026, 11, 1, tzinfo=JAKARTA)
    first = check_alerts(sqlite_engine, sqlite_settings, now=AFTER_DEMO, since=since)
    before = [(a.id, a.status, a.peak_observed, a.resolved_at) for a in alerts(sqlite_engine)]
    again = check_alerts(sqlite_engine, sqlite_settings, now=AFTER_DEMO, since=since)
    assert first.opened and not again.opened and not again.resolved
    assert [(a.id, a.status, a.peak_observed, a.resolved_at) for a in alerts(sqlite_engine)] == before


def test_a_quiet_week_raises_no_alert(tmp_path: Path) -> None:
    stream = demo_subset(tmp_path, before=datetime(2026, 11, 8, tzinfo=JAKARTA))
    config = write_config(
        tmp_path,
        f"sqlite:///{tmp_path / 'quiet.db'}",
        sources=[
            {"name": "demo", "type": "demo", "path": str(stream)},
        ],
    )
    settings = load_settings(config)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    import_labelled_demo(engine, settings)
    with time_machine.travel(datetime(2026, 11, 8, 1, 0, tzinfo=JAKARTA), tick=False):
        report = run_check(engine, settings)
    assert "169 hour(s) checked" in report.steps[0].summary
    assert alerts(engine) == []
    engine.dispose()


def test_hourly_checks_open_once_update_and_resolve(sqlite_engine: Engine, sqlite_settings: Settings) -> None:
    import_labelled_demo(sqlite_engine, sqlite_settings)
    with time_machine.travel(datetime(2026, 11, 12, 0, 10, tzinfo=JAKARTA), tick=False) as clock:
        run_check(sqlite_engine, sqlite_settings)
        assert alerts(sqlite_engine) == []
        seen: list[tuple[int, str, str, int]] = []
        for hour in range(1, 18):
            clock.move_to(datetime(2026, 11, 12, hour, 10, tzinfo=JAKARTA))
            run_check(sqlite_engine, sqlite_settings)
            seen += [(hour, a.label, a.status, a.peak_observed) for a in alerts(sqlite_engine)]
    outage = [(hour, status, peak) for hour, label, status, peak in seen if label == "outage_performance"]
    assert outage[0] == (10, "open", 17)
    assert (13, "open", 30) in outage
    assert (15, "open", 30) in outage and (16, "resolved", 30) in outage
    assert len([a for a in alerts(sqlite_engine) if a.label == "outage_performance"]) == 1
    with Session(sqlite_engine) as session:
        kinds = sorted(d.kind for d in session.execute(select(Delivery)).scalars() if d.ref == str(outage_id(session)))
    assert kinds == ["alert_opened", "alert_resolved"]


def outage_id(session: Session) -> int:
    return session.execute(select(Alert.id).where(Alert.label == "outage_performance")).scalar_one()


def test_posts_imported_late_are_checked_on_the_next_run(sqlite_engine: Engine, sqlite_settings: Settings) -> None:
    with time_machine.travel(AFTER_DEMO, tick=False) as clock:
        run_check(sqlite_engine, sqlite_settings)
        import_labelled_demo(sqlite_engine, sqlite_settings)
        clock.shift(timedelta(minutes=20))
        report = run_check(sqlite_engine, sqlite_settings)
    assert "alert(s) opened" in report.steps[0].summary
    assert [a.label for a in alerts(sqlite_engine)].count("outage_performance") == 1


def test_alerts_found_in_a_backfill_are_filed_but_not_pushed(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PANTAU_WEBHOOK_URL", "http://127.0.0.1:9/never-called")
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'late.db'}", webhook={"enabled": True})
    settings = load_settings(config)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    import_labelled_demo(engine, settings)
    check_alerts(engine, settings, now=datetime(2026, 11, 20, tzinfo=JAKARTA))
    with Session(engine) as session:
        channels = {d.channel for d in session.execute(select(Delivery)).scalars()}
    assert channels == {"file"}
    engine.dispose()
