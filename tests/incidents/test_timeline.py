"""The service's own timeline: events recorded by CLI, drawn on the digest's charts and stated in its text."""

from __future__ import annotations

import base64
import json
import re
from datetime import date, datetime

from incident_support import JAKARTA, grouped_demo
from sqlalchemy import Engine
from sqlmodel import Session

from pantau.core.config import Settings
from pantau.reports.digest import make_digest
from pantau.reports.digest_data import build_digest_data
from pantau.storage.models import ServiceEvent
from support import pantau

RELEASE_DAY_AFTER = date(2026, 11, 11)


def record_release() -> int:
    result = pantau("events", "add", "--kind", "release", "--at", "2026-11-10 19:00", "--title", "4.2.1")
    assert result.exit_code == 0, result.stderr
    return int(result.stdout.strip())


def overview_png(html: str) -> bytes:
    return base64.b64decode(re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)[0])


def test_events_are_added_listed_and_removed(sqlite_engine: Engine, sqlite_settings: Settings) -> None:
    event_id = record_release()
    with Session(sqlite_engine) as session:
        event = session.get(ServiceEvent, event_id)
        assert event is not None and event.at.astimezone(JAKARTA) == datetime(2026, 11, 10, 19, 0, tzinfo=JAKARTA)
    listed = json.loads(pantau("events", "list", "--format", "json").stdout)
    assert [(row["kind"], row["title"], row["at"]) for row in listed] == [
        ("release", "4.2.1", "2026-11-10T19:00:00+07:00")
    ]
    bad = pantau("events", "add", "--kind", "launch", "--at", "2026-11-10", "--title", "x")
    assert bad.exit_code == 2 and "kind must be one of" in bad.stderr
    backwards = pantau(
        "events",
        "add",
        "--kind",
        "maintenance",
        "--at",
        "2026-11-10 02:00",
        "--ends",
        "2026-11-10 01:00",
        "--title",
        "db",
    )
    assert backwards.exit_code == 2 and "end must not be before" in backwards.stderr
    assert pantau("events", "remove", str(event_id)).exit_code == 0
    assert pantau("events", "remove", str(event_id)).exit_code == 1
    assert json.loads(pantau("events", "list", "--format", "json").stdout) == []


def test_a_release_the_day_before_is_on_the_digest_chart_and_in_its_text(
    sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    grouped_demo(sqlite_engine, sqlite_settings)
    without = make_digest(sqlite_engine, sqlite_settings, RELEASE_DAY_AFTER, formats=("html",))
    record_release()
    with Session(sqlite_engine) as session:
        data = build_digest_data(session, sqlite_settings, RELEASE_DAY_AFTER)
    [marker] = data.incidents.markers
    assert data.trend_days[12] == date(2026, 11, 10) and marker.position == 12 + 19 / 24
    [effect] = data.incidents.effects
    assert [(change.label, change.after, round(change.baseline, 1)) for change in effect.effects] == [
        ("account_access", 20, 4.7),
        ("app_error", 7, 3.3),
    ]

    digest = make_digest(sqlite_engine, sqlite_settings, RELEASE_DAY_AFTER)
    markdown, html = digest.contents["md"], digest.contents["html"]
    assert "## Linimasa layanan" in markdown
    assert (
        "Akses & akun naik 324% dalam 24 jam setelah rilis 4\\.2\\.1 \\(20 unggahan; rata\\-rata 4,7 pada jam yang "
        "sama 7 hari sebelumnya\\)\\." in markdown
    )
    assert "Akses &amp; akun naik 324% dalam 24 jam setelah rilis 4.2.1" in html
    assert "Peristiwa layanan pada grafik: 10 Nov 19:00 rilis 4.2.1" in html
    assert overview_png(html) != overview_png(without.contents["html"]), "the marker is drawn on the chart"
    assert make_digest(sqlite_engine, sqlite_settings, RELEASE_DAY_AFTER, formats=("md",)).contents["md"] == markdown

    later = make_digest(sqlite_engine, sqlite_settings, date(2026, 11, 12), formats=("md",)).contents["md"]
    assert "## Linimasa layanan" not in later, "the effect is told on the days its 24 hours cover"


def test_the_outage_digest_lists_the_incident_and_counts_it_overdue(
    sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    grouped_demo(sqlite_engine, sqlite_settings)
    markdown = make_digest(sqlite_engine, sqlite_settings, date(2026, 11, 12), formats=("md",)).contents["md"]
    section = markdown[markdown.index("## Insiden") : markdown.index("## Unggahan teratas per jenis")]
    assert "Melewati batas SLA per akhir hari: **1 insiden**" in section
    assert "**#1 Gangguan & lambat**: @BPJSTKinfo JMO down lagi" in section
    assert "113 unggahan hari ini (114 total)" not in section and "114 unggahan hari ini (114 total)" in section
    assert "⚠️ SLA — diakui: batas 12 Nov 09:34 · terlambat 14 j 26 m" in section
    quiet = make_digest(sqlite_engine, sqlite_settings, date(2026, 11, 5), formats=("md",)).contents["md"]
    assert "## Insiden" not in quiet


def test_trends_plot_draws_events(sqlite_engine: Engine, sqlite_settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    grouped_demo(sqlite_engine, sqlite_settings)
    span = ("trends", "--since", "2026-11-01", "--until", "2026-11-15", "-f", "csv", "--plot")
    plain, marked = tmp_path / "plain.png", tmp_path / "marked.png"
    assert pantau(*span, str(plain)).exit_code == 0
    record_release()
    result = pantau(*span, str(marked))
    assert result.exit_code == 0, result.stderr
    assert marked.stat().st_size > 10_000 and marked.read_bytes() != plain.read_bytes()
