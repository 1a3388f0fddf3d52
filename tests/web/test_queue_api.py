"""The queue API through the real app: filters, keyset pages, detail, triage changes and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, text
from sqlmodel import Session
from starlette.testclient import TestClient
from webdemo import DemoPost, make_user, store_posts

from pantau.core.config import Settings
from pantau.reports.trends import trend_counts
from pantau.storage.models import PostLabel, TriageEvent

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def posts(engine: Engine) -> dict[str, int]:
    return store_posts(
        engine,
        [
            DemoPost("a", "Gak bisa login JMO, OTP gak masuk", NOW - timedelta(hours=1), ["account_access"], 0.95),
            DemoPost("b", "Klaim JHT belum cair", NOW - timedelta(hours=2), ["claims_payments"], 0.45),
            DemoPost("c", "JMO force close terus", NOW - timedelta(hours=3), ["app_error", "account_access"], 0.7),
            DemoPost(
                "d", "Server down dari pagi", NOW - timedelta(days=3), ["outage_performance"], 0.55, source="play_jmo"
            ),
            DemoPost(
                "e",
                '=HYPERLINK("http://evil") gak bisa login JMO, OTP gak masuk',
                NOW - timedelta(days=4),
                ["account_access"],
                0.9,
            ),
            DemoPost("f", "Gak bisa login JMO, OTP gak masuk", NOW - timedelta(days=10), ["account_access"], 0.8),
        ],
    )


@pytest.fixture
def auth(engine: Engine) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_user(engine, 'siti', 'triager', token=True)}"}


def _ids(client: TestClient, auth: dict[str, str], query: str) -> list[int]:
    response = client.get(f"/api/posts?{query}", headers=auth)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_filters_combine_on_effective_labels_status_source_dates_confidence_and_text(
    client: TestClient, posts: dict[str, int], auth: dict[str, str]
) -> None:
    p = posts
    assert _ids(client, auth, "") == [p["a"], p["b"], p["c"], p["d"], p["e"], p["f"]]
    assert _ids(client, auth, "label=account_access") == [p["a"], p["c"], p["e"], p["f"]]
    assert _ids(client, auth, "label=app_error&label=outage_performance") == [p["c"], p["d"]]
    assert _ids(client, auth, "source=play_jmo") == [p["d"]]
    assert _ids(client, auth, "review=yes") == [p["b"], p["d"]]
    assert _ids(client, auth, "min_conf=0.5&max_conf=0.8") == [p["c"], p["d"], p["f"]]
    assert _ids(client, auth, "q=otp") == [p["a"], p["e"], p["f"]]
    assert _ids(client, auth, "q=100%25") == []
    day = (NOW - timedelta(days=4)).astimezone(UTC)
    since = (day - timedelta(days=1)).strftime("%Y-%m-%d")
    assert p["f"] not in _ids(client, auth, f"since={since}")
    assert _ids(client, auth, "sort=least_confident") == [p["b"], p["d"], p["c"], p["f"], p["e"], p["a"]]
    assert client.get("/api/posts?label=nope", headers=auth).status_code == 422
    assert client.get("/api/posts?status=nope", headers=auth).status_code == 422


def test_keyset_pages_cover_every_post_once_in_order(
    client: TestClient, posts: dict[str, int], auth: dict[str, str]
) -> None:
    for sort in ("newest", "least_confident"):
        seen: list[int] = []
        cursor = ""
        while True:
            page = client.get(f"/api/posts?sort={sort}&limit=2{cursor}", headers=auth).json()
            seen += [item["id"] for item in page["items"]]
            if page["next_cursor"] is None:
                break
            cursor = f"&cursor={page['next_cursor']}"
        assert seen == _ids(client, auth, f"sort={sort}")
        assert len(seen) == len(set(seen)) == 6
    newest_cursor = client.get("/api/posts?limit=2", headers=auth).json()["next_cursor"]
    assert client.get(f"/api/posts?sort=least_confident&cursor={newest_cursor}", headers=auth).status_code == 422
    assert client.get("/api/posts?cursor=garbage!!", headers=auth).status_code == 422


def test_status_changes_are_recorded_as_triage_events(
    engine: Engine, client: TestClient, posts: dict[str, int], auth: dict[str, str]
) -> None:
    post_id = posts["a"]
    response = client.patch(
        f"/api/posts/{post_id}", json={"status": "acknowledged", "assignee": "budi", "note": "cek OTP"}, headers=auth
    )
    assert response.status_code == 200
    assert sorted(response.json()["changed"]) == ["assignee", "note", "status"]
    assert client.patch(f"/api/posts/{post_id}", json={"status": "acknowledged"}, headers=auth).json()["changed"] == []
    detail = client.get(f"/api/posts/{post_id}", headers=auth).json()
    assert (detail["status"], detail["assignee"], detail["triaged_by"]) == ("acknowledged", "budi", "siti")
    assert {(event["field"], event["old_value"], event["new_value"]) for event in detail["history"]} == {
        ("status", "new", "acknowledged"),
        ("assignee", None, "budi"),
        ("note", None, "cek OTP"),
    }
    with Session(engine) as session:
        assert session.execute(select(TriageEvent.actor).distinct()).scalars().all() == ["siti"]
    assert _ids(client, auth, "status=acknowledged") == [post_id]
    assert post_id in _ids(client, auth, "assignee=budi")


def test_label_correction_moves_trend_counts_and_can_be_withdrawn(
    engine: Engine, client: TestClient, settings: Settings, posts: dict[str, int], auth: dict[str, str]
) -> None:
    post_id = posts["b"]

    def counts() -> dict[str, int]:
        window = {"since": NOW - timedelta(days=1), "until": NOW + timedelta(hours=1), "by": "day"}
        with Session(engine) as session:
            table = trend_counts(session, settings.tz, labels=settings.label_keys, **window)  # type: ignore[arg-type]
        return {label: table.total(label) for label in settings.label_keys}

    before = counts()
    response = client.patch(f"/api/posts/{post_id}", json={"labels": ["account_access", "app_error"]}, headers=auth)
    assert response.status_code == 200
    assert response.json()["post"]["labels"] == ["account_access", "app_error"]
    after = counts()
    assert after["account_access"] == before["account_access"] + 1
    assert after["claims_payments"] == before["claims_payments"] - 1
    with Session(engine) as session:
        origins = session.execute(select(PostLabel.origin).where(PostLabel.post_id == post_id)).scalars().all()
        assert set(origins) == {"triage"}
    assert client.get("/api/posts?label=account_access", headers=auth).json()["items"][1]["corrected"] is True

    assert (
        client.patch(f"/api/posts/{post_id}", json={"labels": ["not_complaint", "app_error"]}, headers=auth).status_code
        == 422
    )
    assert client.patch(f"/api/posts/{post_id}", json={"labels": ["made_up"]}, headers=auth).status_code == 422
    assert client.patch(f"/api/posts/{post_id}", json={"labels": []}, headers=auth).status_code == 200
    assert counts() == before
    with Session(engine) as session:
        stored = session.connection().execute(text("SELECT corrected_labels FROM post WHERE id = :id"), {"id": post_id})
        assert stored.scalar_one() is None


def test_bulk_update_changes_many_posts_and_records_each(
    engine: Engine, client: TestClient, posts: dict[str, int], auth: dict[str, str]
) -> None:
    ids = [posts["a"], posts["b"], posts["c"]]
    response = client.post("/api/posts/bulk", json={"ids": [*ids, 999999], "status": "dismissed"}, headers=auth)
    assert response.json() == {"changed": 3}
    assert _ids(client, auth, "status=dismissed") == ids
    with Session(engine) as session:
        assert session.execute(select(TriageEvent).where(TriageEvent.field == "status")).all().__len__() == 3
    assert client.post("/api/posts/bulk", json={"ids": [], "status": "dismissed"}, headers=auth).status_code == 422


def test_detail_shows_scores_and_copies(client: TestClient, posts: dict[str, int], auth: dict[str, str]) -> None:
    detail = client.get(f"/api/posts/{posts['a']}", headers=auth).json()
    assert detail["scores"]["account_access"] == pytest.approx(0.95)
    assert detail["classification_model_version"]
    assert {copy["id"] for copy in detail["similar"]} == {posts["f"]}
    assert client.get("/api/posts/999999", headers=auth).status_code == 404


def test_csv_export_follows_the_filters_and_neutralises_formulas(
    client: TestClient, posts: dict[str, int], auth: dict[str, str]
) -> None:
    response = client.get("/api/posts.csv?label=account_access&limit=1", headers=auth)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [int(row["id"]) for row in rows] == [posts["a"], posts["c"], posts["e"], posts["f"]]
    formula = next(row for row in rows if int(row["id"]) == posts["e"])
    assert formula["text"].startswith("'=HYPERLINK")
    assert rows[1]["labels"] == "app_error;account_access" or rows[1]["labels"] == "account_access;app_error"


def test_dashboard_and_trends_api(client: TestClient, posts: dict[str, int], auth: dict[str, str]) -> None:
    board = client.get("/api/dashboard", headers=auth).json()
    week = {row["label"]: row for row in board["week"]}
    assert week["account_access"]["this_week"] == 3
    assert board["backlog"]["counts"]["new"] == [3, 0, 2, 1]
    trends = client.get("/api/trends?since=14d&by=week&label=account_access", headers=auth).json()
    assert sum(trends["series"]["account_access"]) == 4
    assert client.get("/api/trends?since=yesterday-ish", headers=auth).status_code == 422
    assert client.get("/api/trends?since=2000-01-01&by=hour", headers=auth).status_code == 422
    taxonomy = client.get("/api/taxonomy", headers=auth).json()
    assert [label["key"] for label in taxonomy if label["exclusive"]] == ["not_complaint"]
