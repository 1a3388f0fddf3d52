"""Hand-off: the ticket JSON follows its documented schema; the e-mail is RFC 5322 with escaped HTML."""

from __future__ import annotations

import email
import json
from email import policy
from pathlib import Path

import pytest
from incident_support import grouped_demo, incidents
from sqlalchemy import Engine, select, update
from sqlmodel import Session

from pantau.core.config import Settings
from pantau.reports.incident_ticket import SCHEMA_ID, TICKET_SCHEMA
from pantau.storage.models import Incident, Post
from support import REPO, pantau

HOSTILE = '<script>alert("x")</script> JMO <b>down</b> & "lagi"'


def test_the_documented_schema_is_the_one_in_the_code() -> None:
    documented = json.loads((REPO / "docs" / "incident-ticket.schema.json").read_text(encoding="utf-8"))
    assert documented == json.loads(json.dumps(TICKET_SCHEMA))


def test_the_ticket_json_validates_against_its_schema(sqlite_engine: Engine, sqlite_settings: Settings) -> None:
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    grouped_demo(sqlite_engine, sqlite_settings)
    [incident] = incidents(sqlite_engine)
    result = pantau("incidents", "export", str(incident.id), "--format", "json")
    assert result.exit_code == 0, result.stderr
    ticket = json.loads(result.stdout)
    jsonschema_rs.validate(TICKET_SCHEMA, ticket)
    assert ticket["schema"] == SCHEMA_ID and ticket["id"] == incident.id
    assert ticket["issue_type"] == {"key": "outage_performance", "display_name": "Gangguan & lambat"}
    assert ticket["post_count"] == 114 == sum(row["posts"] for row in ticket["counts_per_hour"])
    assert [row["hour"][11:16] for row in ticket["counts_per_hour"]][:2] == ["09:00", "10:00"]
    assert ticket["first_seen"] == "2026-11-12T09:04:00+07:00"
    assert ticket["sla"]["acknowledge"]["due_at"].startswith("2026-11-12T02:34:00")
    assert ticket["sla"]["acknowledge"]["state"] == "overdue"
    assert len(ticket["sample_posts"]) == 10 and all(
        post["url"].startswith("https://") for post in ticket["sample_posts"]
    )
    assert [alert["label"] for alert in ticket["alerts"]] == ["outage_performance", "claims_payments"]
    with Session(sqlite_engine) as session:
        redacted = set(session.execute(select(Post.text_redacted).where(Post.incident_id == incident.id)).scalars())
    assert {post["text"] for post in ticket["sample_posts"]} <= redacted
    assert ticket["events"] == []


def test_the_email_escapes_post_text_and_is_rfc_5322(
    sqlite_engine: Engine, sqlite_settings: Settings, tmp_path: Path
) -> None:
    grouped_demo(sqlite_engine, sqlite_settings)
    [incident] = incidents(sqlite_engine)
    with Session(sqlite_engine) as session:
        first = session.execute(
            select(Post.id).where(Post.incident_id == incident.id).order_by(Post.created_at)
        ).scalar()
        session.execute(update(Post).where(Post.id == first).values(text_redacted=HOSTILE))
        session.execute(update(Incident).where(Incident.id == incident.id).values(title=HOSTILE))
        session.commit()
    output = tmp_path / "incident.eml"
    result = pantau("incidents", "export", str(incident.id), "--format", "email", "--output", str(output))
    assert result.exit_code == 0, result.stderr
    raw = output.read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    message = email.message_from_bytes(raw, policy=policy.default)
    for header in ("From", "To", "Date", "Message-ID", "Subject"):
        assert message[header], header
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert HOSTILE in text
    assert "<script" not in html and "<b>down" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; JMO &lt;b&gt;down&lt;/b&gt; &amp; &#34;lagi&#34;" in html
    assert 'href="https://x.com/' in html
    assert message["Subject"].startswith(f"[Pantau] Insiden #{incident.id} Gangguan & lambat: <script>")
