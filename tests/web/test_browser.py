"""End to end in headless Chromium: log in, filter, triage by keyboard, correct a label, see the dashboard move."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session
from webdemo import CHROMIUM, CHROMIUM_ARGS, PASSWORD, DemoPost, live_server, make_user, store_posts

from pantau.core.config import Settings
from pantau.storage.models import Post
from pantau.web import create_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium (make browser)"),
]


def test_triager_works_the_queue_in_a_real_browser(
    sqlite_settings: Settings, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import expect, sync_playwright

    now = datetime.now(UTC)
    posts = [
        DemoPost(f"c{i}", f"Klaim JHT belum cair juga {i}", now - timedelta(hours=i + 1), ["claims_payments"])
        for i in range(3)
    ]
    posts += [
        DemoPost(f"a{i}", f"OTP tidak masuk {i}", now - timedelta(hours=i + 5), ["account_access"]) for i in range(2)
    ]
    ids = store_posts(sqlite_engine, posts)
    make_user(sqlite_engine, "siti", "triager")
    monkeypatch.setenv(sqlite_settings.web.session_secret_env, "browser-test")
    app = create_app(sqlite_settings, sqlite_engine)
    console_errors: list[str] = []

    with live_server(app) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
        page.set_default_timeout(10_000)

        page.goto(f"{base}/dashboard")
        page.fill('input[name="username"]', "siti")
        page.fill('input[name="password"]', PASSWORD)
        page.click('button[type="submit"]')
        page.wait_for_url(f"{base}/dashboard")
        login_week = page.locator('#week-table tr[data-label="account_access"] .this-week')
        expect(login_week).to_have_text("2")

        page.goto(f"{base}/queue")
        page.check('#filters input[name="label"][value="claims_payments"]')
        page.click('#filters button[type="submit"]')
        page.wait_for_url("**/queue?*label=claims_payments*")
        rows = page.locator("tr.post-row")
        expect(rows).to_have_count(3)

        page.keyboard.press("j")
        second = rows.nth(1)
        expect(second).to_have_class("post-row current")
        page.keyboard.press("a")
        expect(second.locator(".status-cell .badge")).to_have_text("Diakui")
        expect(rows.nth(2)).to_have_class("post-row current")

        page.keyboard.press("k")
        page.keyboard.press("e")
        page.wait_for_url("**/posts/*#labels-form")
        form = page.locator("#labels-form")
        form.locator('input[value="account_access"]').check()
        form.locator('input[value="not_complaint"]').check()
        expect(form.locator('input[value="account_access"]')).not_to_be_checked()
        form.locator('input[value="account_access"]').check()
        form.locator('input[value="claims_payments"]').uncheck()
        form.locator('button[value="queue"]').click()
        page.wait_for_url("**/queue?*label=claims_payments*")
        expect(rows).to_have_count(2)

        page.goto(f"{base}/dashboard")
        expect(login_week).to_have_text("3")
        browser.close()

    with Session(sqlite_engine) as session:
        state = dict(session.execute(select(Post.external_id, Post.status)).all())
        corrected = session.execute(select(Post.corrected_labels).where(Post.id == ids["c1"])).scalar_one()
    assert state["c1"] == "acknowledged"
    assert corrected == ["account_access"]
    assert not [error for error in console_errors if "Content Security Policy" in error or "Refused" in error], (
        console_errors
    )
