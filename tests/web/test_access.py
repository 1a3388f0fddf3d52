"""Who may do what: login, sessions, CSRF, roles, bearer tokens, throttling, security headers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import Engine, select
from sqlmodel import Session
from starlette.testclient import TestClient
from webdemo import PASSWORD, DemoPost, csrf_of, login, make_user, store_posts

from pantau.core.config import Settings
from pantau.storage.models import Post, TriageEvent
from pantau.storage.users import get_user, set_disabled, set_password
from pantau.web.routes import (
    admin_pages,
    api_overview,
    api_posts,
    auth_pages,
    dashboard_pages,
    post_pages,
    queue_pages,
)

OPEN_PATHS = {"/health", "/login"}


def _seed(engine: Engine) -> int:
    ids = store_posts(
        engine,
        [
            DemoPost(
                "p1",
                "Tidak bisa login, NIK saya 3174012345678901 hubungi 081234567890",
                datetime.now(UTC),
                ["account_access"],
            )
        ],
    )
    return ids["p1"]


def _all_routes() -> list[APIRoute]:
    modules = (admin_pages, api_overview, api_posts, auth_pages, dashboard_pages, post_pages, queue_pages)
    return [route for module in modules for route in module.router.routes if isinstance(route, APIRoute)]


def test_every_route_but_health_and_login_needs_a_login(client: TestClient) -> None:
    checked = 0
    for route in _all_routes():
        if route.path in OPEN_PATHS:
            continue
        path = route.path.replace("{post_id}", "1").replace("{username}", "someone")
        for method in route.methods - {"HEAD"}:
            response = client.request(method, path, follow_redirects=False)
            checked += 1
            if path.startswith(("/api/", "/openapi.json")):
                assert response.status_code == 401, (method, path)
                assert response.headers["www-authenticate"].startswith("Bearer")
            elif method == "GET":
                assert response.status_code == 303, (method, path)
                assert response.headers["location"].startswith("/login?next=")
            else:
                assert response.status_code in {303, 403}, (method, path)
    assert checked >= 15
    assert client.get("/health").json() == {"status": "ok", "database": "ok"}


def test_login_sets_a_hardened_cookie_and_logout_ends_it(engine: Engine, client: TestClient) -> None:
    make_user(engine, "siti", "triager")
    page = client.get("/login?next=/dashboard")
    response = client.post(
        "/login",
        data={"username": "siti", "password": PASSWORD, "csrf_token": csrf_of(page.text), "next": "/dashboard"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    csrf = csrf_of(client.get("/queue").text)
    client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert client.get("/queue", follow_redirects=False).status_code == 303


def test_wrong_password_and_foreign_redirects_are_refused(engine: Engine, client: TestClient) -> None:
    make_user(engine, "siti", "triager")
    token = csrf_of(client.get("/login").text)
    wrong = client.post("/login", data={"username": "siti", "password": "nope-nope", "csrf_token": token})
    assert wrong.status_code == 401
    token = csrf_of(wrong.text)
    response = client.post(
        "/login",
        data={"username": "siti", "password": PASSWORD, "csrf_token": token, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/queue"


def test_failed_logins_are_throttled_per_username_and_address(
    engine: Engine, client: TestClient, settings: Settings
) -> None:
    make_user(engine, "siti", "triager")
    make_user(engine, "budi", "viewer")
    token = csrf_of(client.get("/login").text)
    for _ in range(settings.web.login_attempts_per_minute):
        assert (
            client.post("/login", data={"username": "siti", "password": "wrong-guess", "csrf_token": token}).status_code
            == 401
        )
    blocked = client.post("/login", data={"username": "siti", "password": PASSWORD, "csrf_token": token})
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    other = client.post(
        "/login", data={"username": "budi", "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert other.status_code == 303


def test_form_posts_without_the_csrf_token_are_forbidden(engine: Engine, client: TestClient) -> None:
    post_id = _seed(engine)
    make_user(engine, "siti", "triager")
    token = login(client, "siti")
    missing = client.post(f"/posts/{post_id}/triage", data={"status": "resolved"})
    forged = client.post(f"/posts/{post_id}/triage", data={"status": "resolved", "csrf_token": "x" + token})
    no_header = client.patch(f"/api/posts/{post_id}", json={"status": "resolved"})
    assert (missing.status_code, forged.status_code, no_header.status_code) == (403, 403, 403)
    assert client.post("/login", data={"username": "siti", "password": PASSWORD}).status_code == 403
    with Session(engine) as session:
        assert session.get(Post, post_id).status == "new"  # type: ignore[union-attr]
    ok = client.patch(f"/api/posts/{post_id}", json={"status": "resolved"}, headers={"X-CSRF-Token": token})
    assert ok.status_code == 200


def test_viewer_reads_redacted_text_but_cannot_change_anything(engine: Engine, client: TestClient) -> None:
    post_id = _seed(engine)
    make_user(engine, "budi", "viewer")
    token = login(client, "budi")
    detail = client.get(f"/api/posts/{post_id}").json()
    assert "3174012345678901" not in detail["text"] and "081234567890" not in detail["text"]
    assert detail["text_original"] is None
    page = client.get(f"/posts/{post_id}").text
    assert "3174012345678901" not in page and 'id="triage-form"' not in page
    assert (
        client.patch(f"/api/posts/{post_id}", json={"status": "resolved"}, headers={"X-CSRF-Token": token}).status_code
        == 403
    )
    assert client.post(f"/posts/{post_id}/triage", data={"status": "resolved", "csrf_token": token}).status_code == 403
    assert (
        client.post("/queue/bulk", data={"ids": [post_id], "status": "resolved", "csrf_token": token}).status_code
        == 403
    )
    assert client.get("/users").status_code == 403
    with Session(engine) as session:
        assert session.execute(select(TriageEvent)).first() is None


@pytest.mark.parametrize("allowed", [False, True])
def test_admins_see_originals_only_when_the_config_allows(
    engine: Engine, client: TestClient, settings: Settings, allowed: bool
) -> None:
    post_id = _seed(engine)
    settings.privacy.show_unredacted_to_admins = allowed
    token = make_user(engine, "ops", "admin", token=True)
    detail = client.get(f"/api/posts/{post_id}", headers={"Authorization": f"Bearer {token}"}).json()
    assert (detail["text_original"] is not None and "3174012345678901" in detail["text_original"]) is allowed
    assert "3174012345678901" not in detail["text"]


def test_bearer_tokens_work_until_revoked(engine: Engine, client: TestClient) -> None:
    token = make_user(engine, "bot", "triager", token=True)
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()["role"] == "triager"
    assert client.get("/api/me", headers={"Authorization": "Bearer pantau_forged"}).status_code == 401
    assert client.get("/api/me", headers={"Authorization": f"Basic {token}"}).status_code == 401
    with Session(engine) as session:
        set_disabled(session, get_user(session, "bot"))  # type: ignore[arg-type]
        session.commit()
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_new_password_or_disabling_ends_browser_sessions(engine: Engine, client: TestClient) -> None:
    make_user(engine, "siti", "triager")
    login(client, "siti")
    with Session(engine) as session:
        set_password(session, get_user(session, "siti"), "another password")  # type: ignore[arg-type]
        session.commit()
    assert client.get("/queue", follow_redirects=False).status_code == 303
    login(client, "siti", "another password")
    with Session(engine) as session:
        set_disabled(session, get_user(session, "siti"))  # type: ignore[arg-type]
        session.commit()
    assert client.get("/api/me").status_code == 401


def test_pages_carry_a_strict_content_security_policy(engine: Engine, client: TestClient) -> None:
    make_user(engine, "siti", "triager")
    login(client, "siti")
    response = client.get("/queue")
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "script-src 'self' 'nonce-" in policy and "unsafe-inline" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "<script>" not in response.text and " on" + "click=" not in response.text
