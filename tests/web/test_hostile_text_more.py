"""Beyond HTML/JS (test_pages.py): RTL overrides, zero-width characters and SQL-ish text in pages and the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlmodel import Session
from starlette.testclient import TestClient
from webdemo import DemoPost, login, make_user, store_posts

from pantau.storage.models import Post

HOSTILE = {
    "rtl": "login gagal \u202egnp.exe\u202c lagi",
    "zw": "O\u200bT\u200cP tidak\u2060 masuk\ufeff",
    "sql": "'; DROP TABLE post;-- klaim tertahan",
    "sql2": "1' OR '1'='1 saldo hilang",
}


def test_pages_and_api_show_disguised_and_sql_like_text_inertly(engine: Engine, client: TestClient) -> None:
    now = datetime.now(UTC)
    ids = store_posts(
        engine,
        [
            DemoPost(key, text, now - timedelta(minutes=i), ["app_error"])
            for i, (key, text) in enumerate(HOSTILE.items())
        ],
    )
    make_user(engine, "siti", "triager")
    login(client, "siti")
    pages = [client.get("/queue").text] + [client.get(f"/posts/{post_id}").text for post_id in ids.values()]
    search = client.get("/queue", params={"q": "'; DROP TABLE post;--"})
    assert search.status_code == 200
    for html in [*pages, search.text]:
        assert "\u202e" not in html and "\u200b" not in html and "\ufeff" not in html
    assert "&#39;; DROP TABLE post;-- klaim tertahan" in pages[0]
    assert "klaim tertahan" in search.text

    api = client.get("/api/posts", params={"q": "1' OR '1'='1"}).json()
    assert [item["id"] for item in api["items"]] == [ids["sql2"]]
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(Post)).scalar_one() == len(HOSTILE)
