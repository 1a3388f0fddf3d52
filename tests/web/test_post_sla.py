"""Each post's own SLA clock on the queue rows, the post page and the JSON API, through the real app on both DBs.

The shipped config: Asia/Jakarta, working hours Mon–Fri 08:00–17:00; outage_performance 30 min / 4 h around the
clock, account_access 120 min / 1440 min in working hours. "Now" is Thursday 12 November 2026, 11:00 WIB.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import Engine
from starlette.testclient import TestClient
from webdemo import DemoPost, login, make_user, store_posts

JAKARTA = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 12, 11, 0, tzinfo=JAKARTA)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=JAKARTA)


@pytest.fixture
def posts(engine: Engine) -> dict[str, int]:
    with time_machine.travel(at(12, 10, 5), tick=False):
        return store_posts(
            engine,
            [
                DemoPost("late", "JMO down dari pagi", at(12, 10), ["outage_performance"]),
                DemoPost("taken", "JMO down juga di sini", at(12, 10, 1), ["outage_performance"]),
                DemoPost("evening", "Gak bisa login sejak kemarin sore", at(11, 16, 30), ["account_access"]),
                DemoPost("fresh", "OTP gak masuk", at(12, 10, 30), ["account_access"]),
                DemoPost("thanks", "Makasih klaim cair cepat", at(12, 9), ["not_complaint"]),
            ],
        )


@pytest.fixture
def triager(engine: Engine, client: TestClient, posts: dict[str, int]) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {make_user(engine, 'siti', 'triager', token=True)}"}
    with time_machine.travel(at(12, 10, 20), tick=False):
        response = client.patch(f"/api/posts/{posts['taken']}", json={"status": "acknowledged"}, headers=headers)
    assert response.status_code == 200, response.text
    return headers


def _row(html: str, post_id: int) -> str:
    start = html.index(f'<tr id="post-{post_id}"')
    return html[start : html.index("</tr>", start)]


def test_the_api_gives_each_post_its_clock_in_working_hours(
    client: TestClient, posts: dict[str, int], triager: dict[str, str]
) -> None:
    with time_machine.travel(NOW, tick=False):
        items = {item["id"]: item["sla"] for item in client.get("/api/posts", headers=triager).json()["items"]}
        detail = client.get(f"/api/posts/{posts['evening']}", headers=triager).json()["sla"]
    late, taken, evening, fresh = (items[posts[key]] for key in ("late", "taken", "evening", "fresh"))
    assert late["state"] == "overdue" and late["label"] == "outage_performance"
    assert datetime.fromisoformat(late["acknowledge"]["due_at"]) == at(12, 10, 30)
    assert late["acknowledge"]["remaining_minutes"] == -30 and late["resolve"]["state"] == "running"
    assert "terlambat 30 m" in late["text"]
    assert taken["state"] == "running", "acknowledged in time: only the resolve clock runs"
    assert taken["acknowledge"]["state"] == "met" and taken["resolve"]["state"] == "running"
    # 120 working minutes from Wednesday 16:30: 30 that evening, 90 from Thursday 08:00.
    assert evening["state"] == "overdue" and datetime.fromisoformat(evening["acknowledge"]["due_at"]) == at(12, 9, 30)
    assert detail == evening
    assert fresh["state"] == "running" and datetime.fromisoformat(fresh["acknowledge"]["due_at"]) == at(12, 12, 30)
    assert items[posts["thanks"]]["state"] == "none" and items[posts["thanks"]]["label"] is None


def test_the_queue_flags_overdue_rows_and_the_post_page_shows_both_clocks(
    engine: Engine, client: TestClient, posts: dict[str, int], triager: dict[str, str]
) -> None:
    make_user(engine, "budi", "viewer")
    with time_machine.travel(NOW, tick=False):
        login(client, "budi")
        html = client.get("/queue").text
        late_page = client.get(f"/posts/{posts['late']}").text
        taken_page = client.get(f"/posts/{posts['taken']}").text
        thanks_page = client.get(f"/posts/{posts['thanks']}").text
    for key in ("late", "evening"):
        row = _row(html, posts[key])
        assert 'class="post-row overdue"' in row and 'data-sla="overdue"' in row
        assert '<span class="badge sla-badge">⚠ terlambat</span>' in row
    for key in ("taken", "fresh"):
        row = _row(html, posts[key])
        assert "overdue" not in row and "sla-badge" not in row and 'data-sla="running"' in row
        assert "sisa " in row
    assert "sla-text" not in _row(html, posts["thanks"])
    assert 'id="sla-overdue"' in late_page and "batas 12 Nov 10:30 · terlambat 30 m" in late_page
    assert 'id="sla-overdue"' not in taken_page and 'data-sla="running"' in taken_page
    assert "batas 12 Nov 10:31 · terpenuhi" in taken_page and "batas 12 Nov 14:01 · sisa 3 j 1 m" in taken_page
    assert 'id="sla"' not in thanks_page


def test_acknowledging_an_overdue_post_clears_its_flag(
    client: TestClient, posts: dict[str, int], triager: dict[str, str]
) -> None:
    with time_machine.travel(NOW, tick=False):
        changed = client.patch(f"/api/posts/{posts['late']}", json={"status": "acknowledged"}, headers=triager)
        assert changed.status_code == 200
        sla = changed.json()["post"]["sla"]
        assert sla["acknowledge"]["state"] == "breached" and sla["state"] != "overdue"
        resolved = client.patch(f"/api/posts/{posts['evening']}", json={"status": "resolved"}, headers=triager)
        assert resolved.json()["post"]["sla"]["state"] == "breached"
        page = client.get("/api/posts", params={"status": "all"}, headers=triager).json()["items"]
    assert [item["id"] for item in page if item["sla"]["state"] == "overdue"] == []
