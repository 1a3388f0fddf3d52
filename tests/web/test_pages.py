"""Server-rendered pages: untrusted text stays text, forms change triage state, the dashboard follows."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlmodel import Session
from starlette.testclient import TestClient
from webdemo import DemoPost, login, make_user, store_posts

from pantau.core.config import Settings
from pantau.storage.models import Post, TriageEvent
from pantau.web import create_app
from pantau.web.templating import safe_href

NOW = datetime.now(UTC)
XSS_TEXT = '<img src=x onerror=alert(1)> "quoted" </textarea><script>alert(2)</script>'
XSS_AUTHOR = "<script>alert(1)</script>"


def _store_hostile(engine: Engine) -> dict[str, int]:
    return store_posts(
        engine,
        [
            DemoPost(
                "x1",
                XSS_TEXT,
                NOW - timedelta(hours=1),
                ["app_error"],
                author='evil"><b>',
                author_name=XSS_AUTHOR,
                url="javascript:alert(1)",
            ),
            DemoPost(
                "x2",
                "Login gagal terus \u202egnp.exe\u200b",
                NOW - timedelta(hours=2),
                ["account_access"],
                url='https://x.com/a/status/1?q="><script>',
            ),
        ],
    )


def test_hostile_text_author_and_url_render_as_inert_text(engine: Engine, client: TestClient) -> None:
    ids = _store_hostile(engine)
    make_user(engine, "siti", "triager")
    login(client, "siti")
    for path in ("/queue", f"/posts/{ids['x1']}", f"/posts/{ids['x2']}", "/queue?q=%3Cimg"):
        html = client.get(path).text
        assert "<img src=x" not in html and "<script>alert" not in html, path
        assert 'href="javascript:' not in html.lower()
        assert not re.search(r"<[^>]+\son\w+=", html), path
    queue = client.get("/queue").text
    assert "&lt;img src=x onerror=alert(1)&gt;" in queue
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in queue
    detail = client.get(f"/posts/{ids['x2']}").text
    assert 'href="https://x.com/a/status/1?q=&#34;&gt;&lt;script&gt;"' in detail
    assert 'rel="noopener noreferrer"' in detail


def test_only_absolute_http_links_are_linkable() -> None:
    assert safe_href("https://x.com/a") == "https://x.com/a"
    assert safe_href("http://example.id/path?x=1") == "http://example.id/path?x=1"
    hostile_urls = ["javascript:alert(1)", " JavaScript:alert(1)", "java\tscript:alert(1)", "data:text/html,x"]
    hostile_urls += ["//evil.example", "/relative", "vbscript:x", "https://", None, ""]
    for hostile in hostile_urls:
        assert safe_href(hostile) is None, hostile


def test_triager_clears_posts_with_forms_and_the_dashboard_follows(
    engine: Engine, client: TestClient, settings: Settings
) -> None:
    ids = store_posts(
        engine,
        [
            DemoPost(f"p{i}", f"Klaim JHT belum cair {i}", NOW - timedelta(hours=i + 1), ["claims_payments"])
            for i in range(4)
        ],
    )
    make_user(engine, "siti", "triager")
    csrf = login(client, "siti")

    def week_count(label: str) -> int:
        html = client.get("/dashboard").text
        table = re.search(r'<table class="data" id="week-table">.*?</table>', html, re.S)
        assert table, "week table"
        row = re.search(rf'<tr data-label="{label}">.*?class="num this-week">(\d+)<', table.group(0), re.S)
        assert row, label
        return int(row.group(1))

    assert (week_count("claims_payments"), week_count("account_access")) == (4, 0)
    response = client.post(
        f"/posts/{ids['p0']}/labels",
        data={"labels": ["account_access"], "csrf_token": csrf, "back": "status=open", "after": "queue"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/queue?status=open#post-{ids['p0']}"
    assert (week_count("claims_payments"), week_count("account_access")) == (3, 1)

    bulk = client.post(
        "/queue/bulk",
        data={"ids": [ids["p1"], ids["p2"]], "status": "resolved", "assignee": "budi", "csrf_token": csrf, "back": ""},
    )
    assert "2 unggahan diubah" in bulk.text
    single = client.post("/queue/bulk", data={"one": f"{ids['p3']}:dismissed", "csrf_token": csrf, "back": ""})
    assert single.status_code == 200
    client.post(f"/posts/{ids['p0']}/triage", data={"status": "acknowledged", "note": "<b>cek</b>", "csrf_token": csrf})
    with Session(engine) as session:
        statuses = dict(session.execute(select(Post.external_id, Post.status)).all())
        events = session.execute(select(TriageEvent.field)).scalars().all()
    assert statuses == {"p0": "acknowledged", "p1": "resolved", "p2": "resolved", "p3": "dismissed"}
    assert sorted(events) == ["assignee", "assignee", "labels", "note", "status", "status", "status", "status"]
    assert "&lt;b&gt;cek&lt;/b&gt;" in client.get(f"/posts/{ids['p0']}").text
    combined = client.post(
        f"/posts/{ids['p0']}/labels", data={"labels": ["not_complaint", "app_error"], "csrf_token": csrf}
    )
    assert "cannot be combined" in combined.text


def test_queue_page_has_filters_pages_and_keyboard_hooks(engine: Engine, client: TestClient) -> None:
    store_posts(
        engine, [DemoPost(f"p{i}", f"JMO error {i}", NOW - timedelta(minutes=i), ["app_error"]) for i in range(5)]
    )
    make_user(engine, "siti", "triager")
    login(client, "siti")
    first = client.get("/queue?limit=2&label=app_error")
    assert first.text.count('class="post-row"') == 2
    next_link = re.search(r'href="(/queue\?[^"]+)" class="button" id="next-page"', first.text)
    assert next_link
    second = client.get(next_link.group(1).replace("&amp;", "&"))
    assert second.text.count('class="post-row"') == 2
    assert 'id="queue-table" data-can-triage="1"' in first.text
    assert '<script src="/static/app.js" nonce="' in first.text
    assert client.get("/queue?cursor=bogus").status_code == 422
    assert (
        client.get("/static/app.js").headers["content-type"].startswith(("text/javascript", "application/javascript"))
    )


def test_api_docs_work_offline(engine: Engine, client: TestClient) -> None:
    make_user(engine, "budi", "viewer")
    login(client, "budi")
    docs = client.get("/docs").text
    assert "/api/posts" in docs and "Authorization: Bearer" in docs
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', docs)
    schema = client.get("/openapi.json").json()
    assert "/api/posts.csv" in schema["paths"] and "/queue" not in schema["paths"]


def test_the_ui_speaks_english_when_configured(engine: Engine, settings: Settings) -> None:
    settings.web.language = "en"
    make_user(engine, "siti", "triager")
    with TestClient(create_app(settings, engine)) as client:
        login(client, "siti")
        html = client.get("/queue").text
    assert "Triage queue" in html and "Keyboard shortcuts" in html
    assert "Akses &amp; akun" in html, "issue types keep their configured display names"
