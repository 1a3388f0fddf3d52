"""The incidents page, the incident page with its forms, the events form, the JSON API and the dashboard."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from argon2 import PasswordHasher
from incident_support import JAKARTA, fake_model_dir, grouped_demo, incidents
from sqlalchemy import Engine, select, update
from sqlmodel import Session
from starlette.testclient import TestClient
from webdemo import login, make_user

from labelled_demo import MODEL_VERSION
from pantau.core.config import Settings, load_settings
from pantau.storage import users
from pantau.storage.db import make_engine, upgrade
from pantau.storage.incidents import member_ids
from pantau.storage.models import Incident, ServiceEvent
from pantau.web import create_app
from support import write_config

HOSTILE = "<script>alert(1)</script> JMO <img src=x onerror=alert(2)>"


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(users, "_hasher", hasher)
    monkeypatch.setattr(users, "_DUMMY_HASH", hasher.hash("dummy"))


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Settings, Engine, TestClient]]:
    """The grouped demo behind the real app; the current model is weak on account_access."""
    base = load_settings(write_config(tmp_path, "sqlite://"))
    per_label = {label: (0.9, 0.9, 100) for label in base.label_keys} | {"account_access": (0.5, 0.9, 100)}
    model = fake_model_dir(tmp_path / "model", MODEL_VERSION, per_label)
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'pantau.db'}", classifier={"model_dir": str(model)})
    monkeypatch.setenv("PANTAU_CONFIG", str(config))
    settings = load_settings(config)
    monkeypatch.setenv(settings.web.session_secret_env, "test-session-secret")
    engine = make_engine(settings.database_url)
    upgrade(engine)
    grouped_demo(engine, settings)
    with TestClient(create_app(settings, engine)) as client:
        yield settings, engine, client
    engine.dispose()


def the_incident(engine: Engine) -> Incident:
    [incident] = incidents(engine)
    return incident


def test_the_incidents_page_flags_overdue_and_the_page_acknowledges(deployment) -> None:  # type: ignore[no-untyped-def]
    _, engine, client = deployment
    incident = the_incident(engine)
    make_user(engine, "siti", "triager")
    csrf = login(client, "siti")
    listing = client.get("/incidents").text
    assert f'id="incident-{incident.id}" data-sla="overdue" class="overdue"' in listing
    assert "⚠ batas 12 Nov 09:34 · terlambat" in listing
    page = client.get(f"/incidents/{incident.id}").text
    assert page.count('name="post_ids"') == 114 and 'action="/incidents/' in page
    response = client.post(f"/incidents/{incident.id}/ack", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].endswith("?saved=1")
    assert the_incident(engine).status == "acknowledged"
    refused = client.post(f"/incidents/{incident.id}/ack", data={"csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403

    with Session(engine) as session:
        two = member_ids(session, incident.id)[:2]
    split = client.post(
        f"/incidents/{incident.id}/split",
        data={"csrf_token": csrf, "post_ids": [str(post_id) for post_id in two], "title": "Dua unggahan"},
        follow_redirects=False,
    )
    assert split.status_code == 303
    counts = sorted(item.post_count for item in incidents(engine))
    assert counts == [2, 112]


def test_a_viewer_reads_but_cannot_act(deployment) -> None:  # type: ignore[no-untyped-def]
    _, engine, client = deployment
    incident = the_incident(engine)
    make_user(engine, "budi", "viewer")
    csrf = login(client, "budi")
    assert 'name="ids"' not in client.get("/incidents").text
    response = client.post(f"/incidents/{incident.id}/resolve", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 403 and the_incident(engine).status == "open"


def test_incident_text_is_escaped_on_every_page(deployment) -> None:  # type: ignore[no-untyped-def]
    _, engine, client = deployment
    incident = the_incident(engine)
    with Session(engine) as session:
        session.execute(update(Incident).where(Incident.id == incident.id).values(title=HOSTILE))
        session.commit()
    make_user(engine, "siti", "triager")
    login(client, "siti")
    for path in ("/incidents", f"/incidents/{incident.id}"):
        html = client.get(path).text
        assert "<script>alert(1)" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_api_lists_details_resolves_and_exports(deployment) -> None:  # type: ignore[no-untyped-def]
    _, engine, client = deployment
    incident = the_incident(engine)
    headers = {"Authorization": f"Bearer {make_user(engine, 'bot', 'triager', token=True)}"}
    [row] = client.get("/api/incidents", headers=headers).json()
    assert row["id"] == incident.id and row["post_count"] == 114 and row["sla_state"] == "overdue"
    detail = client.get(f"/api/incidents/{incident.id}", headers=headers).json()
    assert len(detail["posts"]) == 114 and detail["alert_ids"]
    assert detail["posts"][0]["acknowledge"]["due_at"] is not None
    assert client.get(f"/api/incidents/{incident.id}/ticket", headers=headers).json()["post_count"] == 114
    resolved = client.post(f"/api/incidents/{incident.id}/resolve", headers=headers)
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    again = client.post(f"/api/incidents/{incident.id}/resolve", headers=headers)
    assert again.status_code == 422
    assert client.get("/api/incidents?status=resolved", headers=headers).json()[0]["id"] == incident.id
    assert client.get("/api/incidents/999999", headers=headers).status_code == 404
    make_user(engine, "siti", "viewer")
    login(client, "siti")
    eml = client.get(f"/incidents/{incident.id}/ticket.eml")
    assert eml.status_code == 200 and eml.headers["content-type"] == "message/rfc822"
    assert b"Content-Type: multipart/alternative" in eml.content


def test_events_by_form_and_api_appear_on_the_dashboard_with_adjusted_counts(deployment) -> None:  # type: ignore[no-untyped-def]
    _, engine, client = deployment
    token = make_user(engine, "bot", "triager", token=True)
    make_user(engine, "siti", "triager")
    csrf = login(client, "siti")
    added = client.post(
        "/events",
        data={"csrf_token": csrf, "kind": "release", "at": "2026-11-10T19:00", "title": "4.2.1"},
        follow_redirects=False,
    )
    assert added.status_code == 303 and "saved=1" in added.headers["location"]
    assert "4.2.1" in client.get("/events").text
    created = client.post(
        "/api/events",
        headers={"Authorization": f"Bearer {token}"},
        json={"kind": "maintenance", "at": "2026-11-13T01:00:00", "ends_at": "2026-11-13T03:00:00", "title": "DB"},
    )
    assert created.status_code == 201 and created.json()["at"].startswith("2026-11-12T18:00:00")
    bad = client.post("/api/events", headers={"Authorization": f"Bearer {token}"}, json={"kind": "x", "at": "z"})
    assert bad.status_code == 422
    with time_machine.travel(datetime(2026, 11, 15, 12, 0, tzinfo=JAKARTA), tick=False):
        dashboard = client.get("/dashboard").text
    assert dashboard.count('class="marker"') == 2 and "rilis 4.2.1" in dashboard
    assert 'id="adjusted-table"' in dashboard
    row = dashboard[dashboard.index('<tr data-label="account_access"><th>Akses') :]
    assert '<td class="num adjusted">' in row[:400]
    with Session(engine) as session:
        event_id = session.execute(select(ServiceEvent.id).where(ServiceEvent.title == "DB")).scalar_one()
    removed = client.delete(f"/api/events/{event_id}", headers={"Authorization": f"Bearer {token}"})
    assert removed.status_code == 204
    assert [
        event["title"] for event in client.get("/api/events", headers={"Authorization": f"Bearer {token}"}).json()
    ] == ["4.2.1"]
