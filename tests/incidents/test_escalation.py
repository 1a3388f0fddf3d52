"""An overdue incident is escalated exactly once through the alert channels, across cycles and restarts."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from incident_support import JAKARTA, SLA, incidents
from sqlalchemy import select
from sqlmodel import Session

from labelled_demo import label_pending
from pantau.collector.runner import collect_source
from pantau.core.config import load_settings
from pantau.pipeline.cycle import CycleReport, alert_step, delivery_step, incident_step
from pantau.storage.db import make_engine, upgrade
from pantau.storage.models import Delivery, Incident
from support import DEMO_STREAM, CommandResult, pantau, write_config


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A JSON webhook on loopback that records every body it is sent."""
    bodies: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", bodies
    server.shutdown()
    server.server_close()


def feed_until(stream: Path, moment: datetime) -> None:
    lines = DEMO_STREAM.read_text(encoding="utf-8").splitlines(keepends=True)
    stream.write_text(
        "".join(line for line in lines if datetime.fromisoformat(json.loads(line)["created_at"]) < moment),
        encoding="utf-8",
    )


def at(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 12, hour, minute, tzinfo=JAKARTA)


def pantau_in(config: Path, *args: str) -> CommandResult:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PANTAU_CONFIG", str(config))
        return pantau(*args)


def cycle(config: Path, stream: Path, moment: datetime) -> CycleReport:
    """One cycle in a fresh process-like setup: new settings and engine each time (a restart)."""
    feed_until(stream, moment)
    settings = load_settings(config)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    try:
        assert collect_source(engine, settings, settings.source("demo")).ok
        label_pending(engine)
        report = CycleReport()
        alert_step(engine, settings, report, moment)
        incident_step(engine, settings, report, moment)
        delivery_step(engine, settings, report, moment)
        assert report.ok, report.steps
        return report
    finally:
        engine.dispose()


def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str) -> tuple[Path, Path]:
    monkeypatch.setenv("PANTAU_WEBHOOK_URL", url)
    stream = tmp_path / "stream.jsonl"
    config = write_config(
        tmp_path,
        f"sqlite:///{tmp_path / 'pantau.db'}",
        sources=[{"name": "demo", "type": "demo", "path": str(stream)}],
        webhook={"enabled": True},
        sla=SLA,
    )
    return config, stream


def escalations(config: Path) -> list[tuple[str, str, str, int]]:
    engine = make_engine(load_settings(config).database_url)
    with Session(engine) as session:
        rows = session.execute(
            select(Delivery.ref, Delivery.channel, Delivery.status, Delivery.attempts).where(
                Delivery.kind == "escalation"
            )
        ).all()
    engine.dispose()
    return sorted((ref, channel, status, attempts) for ref, channel, status, attempts in rows)


def only_incident(config: Path) -> Incident:
    engine = make_engine(load_settings(config).database_url)
    [incident] = incidents(engine)
    engine.dispose()
    return incident


def test_an_overdue_outage_is_escalated_once_across_cycles_and_restarts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, bodies = webhook
    config, stream = configured(tmp_path, monkeypatch, url)
    assert "0 incident(s) opened" in cycle(config, stream, at(9, 30)).steps[1].summary
    opened = cycle(config, stream, at(10, 5))
    assert "1 incident(s) opened" in opened.steps[1].summary and "0 escalation(s)" in opened.steps[1].summary
    incident = only_incident(config)
    # The spike alert judged 09:00-10:00 at 10:05: the clock starts when Pantau opened the incident.
    assert incident.ack_due_at is not None and incident.ack_due_at.astimezone(JAKARTA) == at(10, 35)
    summaries = [cycle(config, stream, at(10, minute)).steps[1].summary for minute in (20, 40, 50, 55)]
    assert ["1 escalation(s)" in summary for summary in summaries] == [False, True, False, False]

    incident = only_incident(config)
    assert incident.escalated_at is not None and incident.escalated_at.astimezone(JAKARTA) == at(10, 40)
    texts = [body["text"] for body in bodies if "Eskalasi SLA" in body["text"]]
    assert len(texts) == 1
    assert f"insiden #{incident.id} belum diakui" in texts[0]
    assert "Batas waktu: 12 Nov 10:35 WIB; dieskalasi 12 Nov 10:40 WIB." in texts[0]
    assert escalations(config) == [
        (f"{incident.id}:acknowledge", "file", "sent", 1),
        (f"{incident.id}:acknowledge", "webhook", "sent", 1),
    ]
    escalation_file = tmp_path / "data" / "escalations" / f"escalation-{incident.id:06d}-acknowledge.md"
    assert "belum diakui" in escalation_file.read_text(encoding="utf-8")


def test_acknowledged_in_time_only_the_resolve_clock_escalates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, bodies = webhook
    config, stream = configured(tmp_path, monkeypatch, url)
    cycle(config, stream, at(10, 5))
    incident = only_incident(config)
    result = pantau_in(config, "incidents", "ack", str(incident.id), "--by", "siti")
    assert result.exit_code == 0, result.stderr
    for hour, minute in ((10, 40), (14, 0), (14, 10), (14, 30)):
        cycle(config, stream, at(hour, minute))
    incident = only_incident(config)
    assert incident.status == "acknowledged" and incident.resolve_due_at is not None
    assert incident.resolve_due_at.astimezone(JAKARTA) == at(14, 5)
    assert set(incident.details["escalations"]) == {"resolve"}
    assert [ref for ref, channel, _, _ in escalations(config) if channel == "webhook"] == [f"{incident.id}:resolve"]
    assert sum("belum diselesaikan" in body["text"] for body in bodies) == 1
