"""The dashboard and /api/dashboard show this week's counts beside the counts adjusted for classifier error."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient
from webdemo import MODEL_VERSION, DemoPost, login, make_user, store_posts

from support import write_config

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def config_path(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shipped config, its model directory holding only a model card weak on account_access."""
    model = tmp_path / "model"
    model.mkdir()
    per_label = {"account_access": (0.5, 0.9, 100), "app_error": (0.9, 0.9, 100)}
    metrics = {
        label: {"precision": p, "recall": r, "f1": round(2 * p * r / (p + r), 4), "support": n}
        for label, (p, r, n) in per_label.items()
    }
    card = {"version": MODEL_VERSION, "labels": list(per_label), "metrics": {"test": {"per_label": metrics}}}
    (model / "pantau.json").write_text(json.dumps(card), encoding="utf-8")
    path = write_config(tmp_path, database_url, classifier={"model_dir": str(model)})
    monkeypatch.setenv("PANTAU_CONFIG", str(path))
    monkeypatch.delenv("PANTAU_DATABASE_URL", raising=False)
    return path


@pytest.fixture
def week(engine: Engine) -> None:
    hours = [NOW - timedelta(hours=1 + i) for i in range(10)]
    posts = [DemoPost(f"login{i}", f"gak bisa login {i}", at, ["account_access"]) for i, at in enumerate(hours)]
    posts += [DemoPost(f"error{i}", f"error 500 ke-{i}", at, ["app_error"]) for i, at in enumerate(hours[:4])]
    store_posts(engine, posts)


def test_the_api_gives_adjusted_counts_beside_the_raw_ones(engine: Engine, client: TestClient, week: None) -> None:
    token = make_user(engine, "bot", "viewer", token=True)
    document = client.get("/api/dashboard", headers={"Authorization": f"Bearer {token}"}).json()
    raw = {row["label"]: row["this_week"] for row in document["week"]}
    assert document["adjusted"]["model_version"] == MODEL_VERSION
    rows = {row["label"]: row for row in document["adjusted"]["rows"]}
    assert raw["account_access"] == rows["account_access"]["observed"] == 10
    # TP 90, FP 90, FN 10 on the test split: 10 × 100 / 180.
    login_row = rows["account_access"]
    assert login_row["adjusted"] == 5.6 and login_row["low"] < 5.6 < login_row["high"]
    assert (login_row["precision"], login_row["recall"]) == (0.5, 0.9)
    assert rows["app_error"]["observed"] == 4 and rows["app_error"]["adjusted"] == 4.0
    assert rows["customer_service"]["observed"] == 0 and rows["customer_service"]["adjusted"] is None
    assert rows["account_access"]["display_name"] == "Akses & akun"


def test_the_page_shows_them_side_by_side(engine: Engine, client: TestClient, week: None) -> None:
    make_user(engine, "budi", "viewer")
    login(client, "budi")
    html = client.get("/dashboard").text
    table = html[html.index('id="adjusted-table"') :]
    row = table[table.index('<tr data-label="account_access">') :]
    row = row[: row.index("</tr>")]
    assert '<td class="num">10</td>' in row and '<td class="num adjusted">5.6</td>' in row
