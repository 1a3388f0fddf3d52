"""Error-adjusted trends: where the model is weak, adjusted counts differ from raw ones, with an interval."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from incident_support import fake_model_dir
from sqlalchemy import select
from sqlmodel import Session

from labelled_demo import MODEL_VERSION, import_labelled_demo
from pantau.core.config import load_settings
from pantau.reports.adjusted import adjust, held_out_counts, model_quality
from pantau.storage.db import make_engine, upgrade
from pantau.storage.models import Post, PostLabel
from pantau.storage.triage import Taxonomy, TriageChange, apply_change
from support import pantau, write_config

WEEKLY = ("trends", "--since", "2026-11-02", "--until", "2026-11-16", "--by", "week")


@pytest.fixture
def weak_on_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The labelled demo, and a current model that is weak on account_access: precision 0.5, recall 0.9."""
    base = load_settings(write_config(tmp_path, "sqlite://"))
    per_label = {label: (0.9, 0.9, 100) for label in base.label_keys}
    per_label["account_access"] = (0.5, 0.9, 100)
    model = fake_model_dir(tmp_path / "model", MODEL_VERSION, per_label)
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'pantau.db'}", classifier={"model_dir": str(model)})
    monkeypatch.setenv("PANTAU_CONFIG", str(config))
    settings = load_settings(config)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    import_labelled_demo(engine, settings)
    yield settings, engine
    engine.dispose()


def test_the_test_split_gives_confusion_counts() -> None:
    metadata = {"metrics": {"test": {"per_label": {"a": {"precision": 0.5, "recall": 0.9, "support": 100}}}}}
    assert held_out_counts(metadata) == {"a": (90.0, 90.0, 10.0)}
    explicit = {"metrics": {"test": {"per_label": {"a": {"tp": 3, "fp": 1, "fn": 2, "precision": 0, "recall": 0}}}}}
    assert held_out_counts(explicit) == {"a": (3.0, 1.0, 2.0)}
    assert held_out_counts({"metrics": {"dev": {}}}) == {}


def test_adjusted_counts_differ_where_the_model_is_weak(weak_on_login) -> None:  # type: ignore[no-untyped-def]
    result = pantau(*WEEKLY, "--adjusted", "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    raw, adjusted = document["series"]["account_access"], document["adjusted"]["account_access"]
    assert adjusted["precision"] == 0.5 and adjusted["recall"] == 0.9
    assert adjusted["factor"] == pytest.approx(100 / 180, abs=1e-3)
    assert raw == [34, 52] and adjusted["values"] == [18.9, 28.9]
    for value, low, high in zip(adjusted["values"], adjusted["low"], adjusted["high"], strict=True):
        assert low < value < high
    steady = document["adjusted"]["app_error"]
    assert steady["values"] == [float(count) for count in document["series"]["app_error"]]
    assert steady["factor_low"] < 1 < steady["factor_high"]


def test_csv_table_and_plot_carry_the_adjusted_counts(weak_on_login, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = list(csv.DictReader(io.StringIO(pantau(*WEEKLY, "--adjusted", "--format", "csv").stdout)))
    assert rows[1]["account_access"] == "52" and rows[1]["account_access_adjusted"] == "28.9"
    assert float(rows[1]["account_access_low"]) < 28.9 < float(rows[1]["account_access_high"])
    table = pantau(*WEEKLY, "--label", "account_access", "--adjusted")
    assert "52 → 28.9 (" in table.stdout and "P 0.50 R 0.90 × 0.56" in table.stdout
    chart = tmp_path / "adjusted.png"
    plotted = pantau(*WEEKLY, "--adjusted", "--plot", str(chart), "--format", "csv")
    assert plotted.exit_code == 0 and chart.stat().st_size > 10_000


def test_triage_corrections_are_pooled_once_there_are_enough(weak_on_login) -> None:  # type: ignore[no-untyped-def]
    settings, engine = weak_on_login
    taxonomy = Taxonomy(tuple(settings.label_keys), settings.exclusive_label)
    with Session(engine) as session:
        login_posts = session.execute(
            select(Post).join(PostLabel).where(PostLabel.label == "account_access").order_by(Post.id).limit(40)
        ).scalars()
        for index, post in enumerate(login_posts):
            labels = ["account_access"] if index % 2 else ["app_error"]
            apply_change(session, post, "siti", TriageChange(labels=labels), taxonomy)
        session.commit()
        quality = model_quality(session, settings, Path(settings.classifier.model_dir or ""))
    assert quality is not None
    login = quality.labels["account_access"]
    assert login.corrections == 40
    assert (login.tp, login.fp, login.fn) == (90 + 20, 90 + 20, 10)
    assert adjust([55], login).values == [round(55 * 120 / 220, 1)]
    few = quality.labels["verification_data"]
    assert few.corrections == 0, "below adjusted.min_corrections the test split stands alone"


def test_without_test_metrics_adjusting_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "no-metrics"
    empty.mkdir()
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'pantau.db'}", classifier={"model_dir": str(empty)})
    monkeypatch.setenv("PANTAU_CONFIG", str(config))
    assert pantau("db", "upgrade").exit_code == 0
    result = pantau(*WEEKLY, "--adjusted")
    assert result.exit_code == 1 and "test-split metrics" in result.stderr
