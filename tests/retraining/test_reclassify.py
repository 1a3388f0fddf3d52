"""After a promotion, `pantau classify --reclassify` re-labels posts, keeps the history, and trends say
which model produced their numbers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import Session

from pantau.classifier.precision import resolve_precision
from pantau.storage.models import Classification, PostLabel
from support import pantau


def _version(model_dir: Path) -> str:
    return json.loads((model_dir / "pantau.json").read_text(encoding="utf-8"))["version"]


def test_reclassification_keeps_history_and_trends_name_the_new_model(
    rt_config, rt_engine, tiny_models, store_posts, make_rows
) -> None:  # type: ignore[no-untyped-def]
    start = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
    rows = make_rows(24, 77)
    store_posts(rt_engine, [(row["text"], start + timedelta(hours=i), None) for i, row in enumerate(rows)])
    first = pantau("classify", "--pending")
    assert first.exit_code == 0, first.stderr
    shipped, good = _version(tiny_models.bad), _version(tiny_models.good)
    assert f"classified by model {shipped} ({resolve_precision('auto')})" in first.stdout

    assert pantau("models", "register", str(tiny_models.good)).exit_code == 0
    promoted = pantau("models", "promote", good, "--corpus", str(tiny_models.corpus))
    assert promoted.exit_code == 0, promoted.stderr
    command = promoted.stdout.split("run:")[1].split()
    assert command[:3] == ["pantau", "classify", "--since"] and command[-1] == "--reclassify"

    again = pantau("classify", "--since", "2026-11-01", "--reclassify")
    assert again.exit_code == 0, again.stderr
    assert f"24 post(s) classified by model {good}" in again.stdout
    with Session(rt_engine) as session:
        history = dict(
            session.execute(
                select(Classification.model_version, func.count()).group_by(Classification.model_version)
            ).all()
        )
        current = session.execute(
            select(Classification.model_version, func.count())
            .where(Classification.is_current.is_(True))
            .group_by(Classification.model_version)
        ).all()
    assert history == {shipped: 24, good: 24}, "earlier classifications stay in the history"
    assert current == [(good, 24)]

    trends = pantau("trends", "--since", "2026-11-03", "--until", "2026-11-05", "--by", "day", "--format", "json")
    assert trends.exit_code == 0, trends.stderr
    document = json.loads(trends.stdout)
    assert set(document["model_versions"]) == {good}
    with Session(rt_engine) as session:
        login_now = session.execute(
            select(func.count()).select_from(PostLabel).where(PostLabel.label == "login")
        ).scalar_one()
        login_by_new_model = session.execute(
            select(func.count())
            .select_from(Classification)
            .where(Classification.is_current.is_(True), Classification.primary_label == "login")
        ).scalar_one()
    assert login_by_new_model > 0
    assert sum(document["series"]["login"]) == login_now, "trends count the labels the new model gave"
