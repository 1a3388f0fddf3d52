"""Posts and verdicts stored directly (no model needed), users and logins, and a live server for the browser."""

from __future__ import annotations

import random
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, select
from sqlmodel import Session
from starlette.testclient import TestClient

from pantau.collector.base import RawPost
from pantau.collector.prepare import prepare_post
from pantau.storage.classifications import PendingPost, record_verdicts
from pantau.storage.models import Post
from pantau.storage.posts import upsert_posts
from pantau.storage.users import add_user, issue_token
from support import Verdict

MODEL_VERSION = "indobert-jmo-2026.11"
PASSWORD = "correct horse battery"


@dataclass
class DemoPost:
    external_id: str
    text: str
    created_at: datetime
    labels: list[str]
    confidence: float = 0.9
    author: str | None = None
    author_name: str | None = None
    url: str | None = None
    source: str = "demo"


def store_posts(engine: Engine, posts: list[DemoPost], model_version: str = MODEL_VERSION) -> dict[str, int]:
    """Insert posts and one verdict each; returns {external_id: post id}."""
    rng = random.Random(7)
    with Session(engine) as session:
        for source in {post.source for post in posts}:
            rows = [
                prepare_post(
                    source,
                    RawPost(
                        external_id=post.external_id,
                        text=post.text,
                        created_at=post.created_at,
                        author=post.author,
                        author_name=post.author_name,
                        url=post.url,
                    ),
                )
                for post in posts
                if post.source == source
            ]
            upsert_posts(session, rows)
        session.commit()
        ids = {
            (source, external_id): post_id
            for post_id, source, external_id in session.execute(select(Post.id, Post.source, Post.external_id))
        }
        pending, verdicts = [], []
        for post in posts:
            post_id = ids[(post.source, post.external_id)]
            pending.append(PendingPost(id=post_id, text=post.text, created_at=post.created_at, source=post.source))
            scores = {label: round(rng.uniform(0.01, 0.2), 3) for label in ("account_access", "app_error")}
            scores.update({label: post.confidence for label in post.labels})
            verdicts.append(
                Verdict(post.labels, post.labels[0], post.confidence, post.confidence < 0.6, scores)  # type: ignore[arg-type]
            )
        record_verdicts(session, pending, verdicts, model_version)
        session.commit()
    return {external_id: post_id for (_, external_id), post_id in ids.items()}


CSRF_PATTERN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_PATTERN.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the real form; returns the session's CSRF token for later form posts."""
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/queue").text)


def make_user(engine: Engine, username: str, role: str, *, token: bool = False) -> str | None:
    with Session(engine) as session:
        user = add_user(session, username, PASSWORD, role)
        raw = issue_token(session, user) if token else None
        session.commit()
    return raw


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """Serve the app with uvicorn on a free loopback port in a thread; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
