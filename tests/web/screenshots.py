"""Screenshots of the queue and the dashboard on demo-like data, for docs/ (headless Debian Chromium).

Run: .venv/bin/python tests/web/screenshots.py [OUTPUT_DIR]   (default: docs/)
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from demodata import demo_posts, store_demo_context, triage_some  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from webdemo import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    PASSWORD,
    live_server,
    make_user,
    store_posts,
)

from pantau.core.config import load_settings  # noqa: E402
from pantau.storage.db import make_engine, upgrade  # noqa: E402
from pantau.web import create_app  # noqa: E402
from support import write_config  # noqa: E402


def main(output: Path) -> None:
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        settings = load_settings(write_config(workdir, f"sqlite:///{workdir / 'pantau.db'}"))
        engine = make_engine(settings.database_url)
        upgrade(engine)
        now = datetime.now(UTC)
        store_posts(engine, demo_posts(now, 600))
        store_demo_context(engine, now)
        triage_some(engine, now)
        make_user(engine, "siti", "triager")
        os.environ.setdefault(settings.web.session_secret_env, "screenshot-secret")
        with live_server(create_app(settings, engine)) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 960}, device_scale_factor=1, locale="id-ID")
            page.goto(f"{base}/login")
            page.fill('input[name="username"]', "siti")
            page.fill('input[name="password"]', PASSWORD)
            page.click('button[type="submit"]')
            page.wait_for_url(f"{base}/queue")
            page.keyboard.press("j")
            page.keyboard.press("x")
            page.keyboard.press("j")
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(output / "queue.png"))
            page.goto(f"{base}/dashboard")
            page.set_viewport_size({"width": 1440, "height": 1500})
            page.screenshot(path=str(output / "dashboard.png"), full_page=True)
            browser.close()
        engine.dispose()
    print(f"wrote {output / 'queue.png'} and {output / 'dashboard.png'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent.parent / "docs")
