"""The daily digest: the outage day's numbers, stable output, escaped post text, the command line."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlmodel import Session

from labelled_demo import import_labelled_demo, label_pending
from pantau.collector.base import RawPost
from pantau.collector.prepare import prepare_post
from pantau.core.config import Settings
from pantau.reports.alerts import check_alerts
from pantau.reports.digest import busiest_day, make_digest
from pantau.storage.models import Digest, Post, TriageEvent
from pantau.storage.posts import upsert_posts
from support import DEMO_STREAM, pantau

JAKARTA = ZoneInfo("Asia/Jakarta")
OUTAGE_DAY = date(2026, 11, 12)


def annotated_counts(day: date) -> Counter[str]:
    counts: Counter[str] = Counter()
    for line in DEMO_STREAM.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if datetime.fromisoformat(record["created_at"]).astimezone(JAKARTA).date() == day:
            counts.update(record["expected_labels"])
    return counts


def add_post(engine: Engine, text: str, created_at: datetime, labels: list[str], **fields: str) -> int:
    raw = RawPost(
        external_id=f"t-{abs(hash(text))}", text=text, created_at=created_at, raw={"expected_labels": labels}, **fields
    )
    with Session(engine) as session:
        inserted = upsert_posts(session, [prepare_post("demo", raw)]).inserted_ids
        session.commit()
    label_pending(engine)
    return inserted[0]


def test_outage_day_digest_counts_flags_and_folds(engine: Engine, settings: Settings) -> None:
    import_labelled_demo(engine, settings)
    check_alerts(engine, settings, now=datetime(2026, 11, 15, tzinfo=JAKARTA))
    today, before = annotated_counts(OUTAGE_DAY), annotated_counts(date(2026, 11, 11))
    markdown = make_digest(engine, settings, OUTAGE_DAY, ["md"]).contents["md"]

    outage, previous = today["outage_performance"], before["outage_performance"]
    assert markdown.startswith("# Ringkasan harian Pantau — Kamis, 12 November 2026\n")
    row = next(line for line in markdown.splitlines() if line.startswith("| Gangguan & lambat |"))
    assert row.startswith(f"| Gangguan & lambat | {outage} | +{outage - previous} (")
    assert row.endswith("| ⚠️ lonjakan |")
    assert "⚠️ Lonjakan: Gangguan & lambat" in markdown
    assert "**+12 serupa**" in markdown
    assert re.search(
        r"- \*\*Gangguan & lambat\*\*: mulai 12 Nov 09:00 WIB, puncak 30 unggahan/jam .* selesai 12 Nov 16:00", markdown
    )
    assert "Label berasal dari model `annotated-demo`" in markdown
    assert "| demo | 151 |" in markdown


def test_the_same_day_twice_gives_identical_bytes(sqlite_engine: Engine, sqlite_settings: Settings) -> None:
    import_labelled_demo(sqlite_engine, sqlite_settings)
    first = make_digest(sqlite_engine, sqlite_settings, OUTAGE_DAY)
    second = make_digest(sqlite_engine, sqlite_settings, OUTAGE_DAY)
    assert first.contents == second.contents
    assert set(first.contents) == {"md", "html"}
    assert first.contents["html"].count("data:image/png;base64,") == 8
    for fmt, path in first.paths.items():
        assert Path(path).read_text(encoding="utf-8") == first.contents[fmt]
    with Session(sqlite_engine) as session:
        rows = session.execute(select(Digest)).scalars().all()
    assert sorted((row.day, row.format) for row in rows) == [(OUTAGE_DAY, "html"), (OUTAGE_DAY, "md")]


def test_html_digest_shows_script_in_a_post_as_text(sqlite_engine: Engine, sqlite_settings: Settings) -> None:
    when = datetime(2026, 11, 3, 10, 0, tzinfo=JAKARTA)
    add_post(
        sqlite_engine,
        '<script>alert("x")</script> JMO error terus <img src=x onerror=alert(1)> *tebal* [link](http://evil)',
        when,
        ["app_error"],
        author="<b>hacker</b>",
        url="javascript:alert(1)",
    )
    contents = make_digest(sqlite_engine, sqlite_settings, date(2026, 11, 3)).contents
    html, markdown = contents["html"], contents["md"]
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; JMO error terus &lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;hacker&lt;/b&gt;" in html
    assert "<script" not in html and "<img src=x" not in html and "javascript:" not in html
    assert r'\<script\>alert\("x"\)\</script\> JMO error terus' in markdown
    assert r"\*tebal\* \[link\]\(http://evil\)" in markdown
    assert "javascript:" not in markdown


def test_backlog_is_counted_as_of_the_end_of_the_day(sqlite_engine: Engine, sqlite_settings: Settings) -> None:
    import_labelled_demo(sqlite_engine, sqlite_settings)
    first = make_digest(sqlite_engine, sqlite_settings, OUTAGE_DAY, ["md"]).contents["md"]
    with Session(sqlite_engine) as session:
        post = session.execute(select(Post).where(Post.primary_label == "outage_performance")).scalars().first()
        assert post is not None
        post.status = "resolved"
        session.add(post)
        session.add(
            TriageEvent(
                post_id=post.id,
                actor="ana",
                at=datetime(2026, 11, 20, tzinfo=UTC),
                field="status",
                old_value="new",
                new_value="resolved",
            )
        )
        session.commit()
    assert make_digest(sqlite_engine, sqlite_settings, OUTAGE_DAY, ["md"]).contents["md"] == first
    later = make_digest(sqlite_engine, sqlite_settings, date(2026, 11, 21), ["md"]).contents["md"]
    assert "keluhan terbuka per akhir hari: " in later
    assert first != later


def test_busiest_day_is_the_outage_day(sqlite_engine: Engine, sqlite_settings: Settings) -> None:
    with Session(sqlite_engine) as session:
        assert busiest_day(session, sqlite_settings) is None
    import_labelled_demo(sqlite_engine, sqlite_settings)
    with Session(sqlite_engine) as session:
        assert busiest_day(session, sqlite_settings) == OUTAGE_DAY


def test_digest_command_writes_html_and_prints_markdown(
    sqlite_engine: Engine, sqlite_settings: Settings, tmp_path: Path
) -> None:
    import_labelled_demo(sqlite_engine, sqlite_settings)
    target = tmp_path / "out" / "demo.html"
    result = pantau("digest", "--date", "busiest", "--output", str(target))
    assert result.exit_code == 0, result.stderr
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "digest for 2026-11-12 written to" in result.stderr

    printed = pantau("digest", "--date", "2026-11-12", "--format", "md")
    assert printed.exit_code == 0
    assert printed.stdout.startswith("# Ringkasan harian Pantau — Kamis, 12 November 2026")

    assert pantau("digest", "--date", "someday").exit_code == 2
    assert pantau("digest", "--format", "pdf").exit_code == 2


def test_a_day_without_posts_still_reads_well(sqlite_engine: Engine, sqlite_settings: Settings) -> None:
    markdown = make_digest(sqlite_engine, sqlite_settings, date(2026, 1, 5), ["md"]).contents["md"]
    assert "**0 keluhan** dari 0 unggahan" in markdown
    assert "- Tidak ada perubahan." in markdown


def test_a_day_is_stored_once_per_format(sqlite_engine: Engine, sqlite_settings: Settings) -> None:
    make_digest(sqlite_engine, sqlite_settings, OUTAGE_DAY, ["md"])
    make_digest(sqlite_engine, sqlite_settings, OUTAGE_DAY, ["md"])
    with Session(sqlite_engine) as session:
        assert len(session.execute(select(Digest)).scalars().all()) == 1


def test_backlog_counts_follow_triage_corrections_of_what_is_a_complaint(
    sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    from pantau.reports.digest_queries import backlog_as_of
    from pantau.storage.classifications import set_corrected_labels

    import_labelled_demo(sqlite_engine, sqlite_settings)
    complaint = sqlite_settings.complaint_labels
    reference = datetime(2026, 11, 13, tzinfo=UTC)

    def open_complaints() -> int:
        with Session(sqlite_engine) as session:
            return sum(sum(ages) for ages in backlog_as_of(session, reference, complaint).counts.values())

    before = open_complaints()
    with Session(sqlite_engine) as session:
        was_complaint = (
            session.execute(
                select(Post).where(Post.primary_label == "outage_performance", Post.created_at < reference).limit(3)
            )
            .scalars()
            .all()
        )
        was_not = (
            session.execute(
                select(Post).where(Post.primary_label == "not_complaint", Post.created_at < reference).limit(2)
            )
            .scalars()
            .all()
        )
        for post in was_complaint:
            set_corrected_labels(session, post, ["not_complaint"])
        for post in was_not:
            set_corrected_labels(session, post, ["account_access"])
        session.commit()
    assert open_complaints() == before - 3 + 2
