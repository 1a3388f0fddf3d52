"""Drift watch: the week's label mix and below-review share against the four weeks before."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from pantau.core.config import load_settings
from pantau.reports.drift import drift_summary
from support import pantau

WEEK_ENDING = date(2026, 11, 29)
WEEK_START = datetime(2026, 11, 22, 17, 30, tzinfo=UTC)
"""Monday 23 November, 00:30 in Jakarta."""
LABELS = ["login", "payment", "outage", "not_complaint"]


def _posts(start: datetime, days: int, count: int, outage_share: float, low_share: float, tag: str) -> list:
    """`count` posts spread over `days` days: a share labelled outage, a share below the review threshold."""
    posts = []
    for i in range(count):
        label = "outage" if i < count * outage_share else LABELS[i % 4]
        confidence = 0.45 if (i * 7919) % count < count * low_share else 0.92
        scores = {key: 0.03 for key in LABELS} | {label: confidence}
        moment = start + timedelta(hours=(24 * days - 1) * i / count)
        posts.append((f"keluhan {tag} nomor {i} tentang {label} di aplikasi", moment, scores))
    return posts


def test_a_shifted_mix_and_more_uncertain_posts_say_consider_retraining(rt_configure, store_posts) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(rt_configure(drift={"min_posts": 30}))
    from pantau.storage.db import make_engine, upgrade

    engine = make_engine(settings.database_url)
    upgrade(engine)
    baseline = _posts(WEEK_START - timedelta(weeks=4), 28, 160, outage_share=0.0, low_share=0.05, tag="lalu")
    week = _posts(WEEK_START, 7, 40, outage_share=0.5, low_share=0.2, tag="minggu")
    store_posts(engine, baseline + week)
    with Session(engine) as session:
        summary = drift_summary(session, settings, WEEK_ENDING)
        assert summary is not None and summary.drifted
        assert summary.week.posts == 40 and summary.baseline.posts == 160
        assert summary.week_start == date(2026, 11, 23)
        assert "20% of posts below review threshold, up from 5%: consider retraining" in summary.message
        assert "label mix shifted" in summary.message and "Gangguan & lambat" in summary.message
        assert summary.js_divergence >= settings.drift.label_shift
        assert summary.week.model_versions == {"m-1": 40}

        quiet = drift_summary(session, settings, WEEK_ENDING - timedelta(weeks=1))
        assert quiet is not None and not quiet.drifted and quiet.message is None
        assert drift_summary(session, settings, WEEK_ENDING + timedelta(weeks=8)) is None, "too few posts"
    result = pantau("models", "drift", "--week-ending", WEEK_ENDING.isoformat())
    assert result.exit_code == 0, result.stderr
    assert "consider retraining" in result.stdout
    digest = pantau("digest", "--date", WEEK_ENDING.isoformat(), "--format", "md")
    assert digest.exit_code == 0, digest.stderr
    assert "Drift model: 20% of posts below review threshold, up from 5%: consider retraining" in digest.stdout
    engine.dispose()
