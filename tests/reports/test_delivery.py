"""Delivery through real loopback servers: a JSON webhook that fails first, SMTP with STARTTLS and login."""

from __future__ import annotations

import json
import logging
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import Engine, select
from sqlmodel import Session

from labelled_demo import import_labelled_demo
from pantau.core.config import Settings, load_settings
from pantau.pipeline.cycle import CycleReport, alert_step, delivery_step
from pantau.reports.digest import make_digest, send_digest
from pantau.storage.db import make_engine, upgrade
from pantau.storage.models import Alert, Delivery
from support import pantau, write_config

JAKARTA = ZoneInfo("Asia/Jakarta")
SECRET_PATH = "/hook/T0KEN-sup3r-secret"
SMTP_PASSWORD = "s3cret-smtp-pass"
OUTAGE_DAY = date(2026, 11, 12)


@dataclass
class Webhook:
    url: str
    statuses: list[int] = field(default_factory=list)
    """Answers to give, in order; once used up, 200."""
    bodies: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            hook.bodies.append(json.loads(self.rfile.read(length)))
            status = hook.statuses.pop(0) if hook.statuses else 200
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"upstream trouble")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.url = f"http://127.0.0.1:{server.server_port}{SECRET_PATH}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield hook
    server.shutdown()
    server.server_close()


def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **overrides: Any) -> tuple[Settings, Engine]:
    path = write_config(tmp_path, f"sqlite:///{tmp_path / 'pantau.db'}", **overrides)
    monkeypatch.setenv("PANTAU_CONFIG", str(path))
    settings = load_settings(path)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    return settings, engine


def deliveries(engine: Engine, channel: str) -> list[Delivery]:
    with Session(engine) as session:
        return list(session.execute(select(Delivery).where(Delivery.channel == channel)).scalars())


def cycle_steps(engine: Engine, settings: Settings) -> CycleReport:
    report = CycleReport()
    alert_step(engine, settings, report)
    delivery_step(engine, settings, report)
    return report


def test_alert_webhook_fails_then_succeeds_on_retry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, webhook: Webhook, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PANTAU_WEBHOOK_URL", webhook.url)
    settings, engine = configured(tmp_path, monkeypatch, webhook={"enabled": True})
    import_labelled_demo(engine, settings)
    webhook.statuses = [500]
    caplog.set_level(logging.DEBUG)
    with time_machine.travel(datetime(2026, 11, 12, 10, 5, tzinfo=JAKARTA), tick=False) as clock:
        report = cycle_steps(engine, settings)
        assert not report.ok
        [pending] = deliveries(engine, "webhook")
        assert (pending.status, pending.attempts) == ("pending", 1)
        assert pending.last_error is not None and "HTTP 500" in pending.last_error
        clock.shift(timedelta(seconds=30))
        delivery_step(engine, settings, CycleReport())
        assert deliveries(engine, "webhook")[0].attempts == 1
        clock.shift(timedelta(seconds=31))
        retried = CycleReport()
        delivery_step(engine, settings, retried)
    assert retried.ok and retried.steps[0].summary == "1 sent, 0 failed"
    [sent] = deliveries(engine, "webhook")
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 2, None)
    assert len(webhook.bodies) == 2 and set(webhook.bodies[1]) == {"text"}
    assert webhook.bodies[1]["text"].startswith("**⚠️ Lonjakan keluhan: Gangguan & lambat**")
    [file_delivery] = deliveries(engine, "file")
    assert Path(str(file_delivery.payload_path)).read_text(encoding="utf-8") == webhook.bodies[1]["text"]
    assert "T0KEN" not in caplog.text and all("T0KEN" not in str(d.last_error) for d in deliveries(engine, "webhook"))
    engine.dispose()


def test_a_delivery_that_keeps_failing_is_given_up_but_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, webhook: Webhook
) -> None:
    monkeypatch.setenv("PANTAU_WEBHOOK_URL", webhook.url)
    settings, engine = configured(tmp_path, monkeypatch, webhook={"enabled": True}, alerts={"max_delivery_attempts": 2})
    import_labelled_demo(engine, settings)
    webhook.statuses = [503] * 10
    with time_machine.travel(datetime(2026, 11, 12, 10, 5, tzinfo=JAKARTA), tick=False) as clock:
        cycle_steps(engine, settings)
        clock.shift(timedelta(minutes=5))
        cycle_steps(engine, settings)
        clock.shift(timedelta(hours=1))
        cycle_steps(engine, settings)
    [given_up] = deliveries(engine, "webhook")
    assert (given_up.status, given_up.attempts) == ("failed", 2)
    with Session(engine) as session:
        assert session.execute(select(Alert.label)).scalars().all() == ["outage_performance"]
    assert Path(str(deliveries(engine, "file")[0].payload_path)).is_file()
    engine.dispose()


def test_a_digest_is_sent_once_per_channel_and_cut_for_chat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, webhook: Webhook
) -> None:
    monkeypatch.setenv("PANTAU_WEBHOOK_URL", webhook.url)
    settings, engine = configured(tmp_path, monkeypatch, webhook={"enabled": True, "max_chars": 1000})
    import_labelled_demo(engine, settings)
    make_digest(engine, settings, OUTAGE_DAY)
    assert send_digest(engine, settings, OUTAGE_DAY).sent == 2
    assert send_digest(engine, settings, OUTAGE_DAY).sent == 0
    [body] = webhook.bodies
    assert len(body["text"]) <= 1000
    assert body["text"].startswith("# Ringkasan harian Pantau — Kamis, 12 November 2026")
    assert body["text"].endswith("digest-2026-11-12.md)")
    engine.dispose()


def test_run_once_retries_pending_deliveries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, webhook: Webhook) -> None:
    monkeypatch.setenv("PANTAU_WEBHOOK_URL", webhook.url)
    settings, engine = configured(
        tmp_path,
        monkeypatch,
        webhook={"enabled": True},
        classifier={"model_dir": str(tmp_path / "no-model")},
        sla={"enabled": False},  # escalations have their own tests (tests/incidents)
    )
    import_labelled_demo(engine, settings)
    webhook.statuses = [500]
    with time_machine.travel(datetime(2026, 11, 12, 10, 5, tzinfo=JAKARTA), tick=False) as clock:
        first = pantau("run", "--once")
        clock.shift(timedelta(minutes=2))
        second = pantau("run", "--once")
    assert first.exit_code == 1 and "[FAIL] deliver: 1 sent, 1 failed" in first.stderr
    assert "[ok  ] alerts: " in first.stdout and "1 alert(s) opened" in first.stdout
    assert "[ok  ] deliver: 1 sent, 0 failed" in second.stdout
    assert second.exit_code == 1, "the missing model still fails the classify step"
    assert [d.status for d in deliveries(engine, "webhook")] == ["sent"]
    engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[tuple[int, Path, list[Any], list[str]]]:
    """aiosmtpd on loopback: STARTTLS required, then AUTH LOGIN/PLAIN required, self-signed certificate."""
    controller_module = pytest.importorskip("aiosmtpd.controller")
    from aiosmtpd.smtp import AuthResult, LoginPassword

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    received: list[Any] = []
    logins: list[str] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append((session.ssl is not None, envelope))
            return "250 OK"

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == SMTP_PASSWORD.encode()
        logins.append(f"{mechanism}:{auth_data.login.decode()}:{ok}")
        return AuthResult(success=ok, handled=False)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    port = free_port()
    controller = controller_module.Controller(
        Handler(),
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    controller.start()
    yield port, cert, received, logins
    controller.stop()


def test_digest_email_goes_through_starttls_with_inline_charts(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: tuple[int, Path, list[Any], list[str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    port, cert, received, logins = smtp_server
    monkeypatch.setenv("PANTAU_SMTP_PASSWORD", SMTP_PASSWORD)
    email = {
        "enabled": True,
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "username": "pantau",
        "ca_file": str(cert),
        "from_address": "pantau@example.id",
    }
    settings, engine = configured(tmp_path, monkeypatch, email=email, digest={"recipients": ["mutu@example.id"]})
    import_labelled_demo(engine, settings)
    caplog.set_level(logging.DEBUG)
    result = pantau("digest", "--date", "2026-11-12", "--format", "html", "--send")
    assert result.exit_code == 0, result.stderr
    assert "delivery: 2 sent, 0 failed" in result.stderr
    assert logins == ["LOGIN:pantau:True"] or logins == ["PLAIN:pantau:True"]
    [(over_tls, envelope)] = received
    assert over_tls and envelope.rcpt_tos == ["mutu@example.id"]
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert message["Subject"].startswith("Pantau · Kamis, 12 November 2026: 125 keluhan · lonjakan: Gangguan & lambat")
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert text.startswith("# Ringkasan harian Pantau")
    assert "data:image" not in html and html.count('src="cid:') == 8
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 8 and all(f"cid:{part['Content-ID'][1:-1]}" in html for part in images)
    assert SMTP_PASSWORD not in caplog.text
    engine.dispose()


def test_a_wrong_smtp_password_is_recorded_without_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp_server: tuple[int, Path, list[Any], list[str]]
) -> None:
    port, cert, received, _ = smtp_server
    monkeypatch.setenv("PANTAU_SMTP_PASSWORD", "not-the-password")
    email = {"enabled": True, "smtp_host": "127.0.0.1", "smtp_port": port, "username": "pantau", "ca_file": str(cert)}
    settings, engine = configured(tmp_path, monkeypatch, email=email, digest={"recipients": ["mutu@example.id"]})
    make_digest(engine, settings, OUTAGE_DAY)
    report = send_digest(engine, settings, OUTAGE_DAY)
    assert (report.sent, report.failed) == (1, 1)
    [pending] = deliveries(engine, "email")
    assert pending.status == "pending" and "SMTPAuthenticationError" in str(pending.last_error)
    assert "not-the-password" not in str(pending.last_error)
    assert received == []
    engine.dispose()
