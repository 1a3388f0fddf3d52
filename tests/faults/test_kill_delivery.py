"""kill -9 while a digest is being delivered to a channel that hangs: the rerun delivers it (at least once).

The delivery's outcome is committed right after each attempt. A process killed after the receiver
got the message but before that commit leaves the delivery pending, so the next run sends it again:
the receiver sees it twice, never zero times. Both copies carry the same key (webhook header
Idempotency-Key, e-mail Message-ID), so a receiver that keeps keys can drop the second one.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from faults.processes import kill9, run, start, wait_until
from labelled_demo import import_labelled_demo
from pantau.core.config import load_settings
from pantau.storage.db import make_engine, upgrade
from pantau.storage.models import Delivery
from support import write_config

DAY = "2026-11-12"


@dataclass
class HangingReceiver:
    """Records what it receives; while `hang` is set it never answers."""

    url: str = ""
    port: int = 0
    hang: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    received: list[Any] = field(default_factory=list)


@pytest.fixture
def webhook() -> Iterator[HangingReceiver]:
    receiver = HangingReceiver()
    receiver.hang.set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            receiver.received.append((self.headers["Idempotency-Key"], body))
            if receiver.hang.is_set():
                receiver.release.wait(120)
                return
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_port}/hook/secret-path"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield receiver
    receiver.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp() -> Iterator[HangingReceiver]:
    from aiosmtpd.controller import Controller

    receiver = HangingReceiver()
    receiver.hang.set()

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            receiver.received.append(envelope.content)
            if receiver.hang.is_set():
                await asyncio.get_running_loop().run_in_executor(None, receiver.release.wait, 120)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        receiver.port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=receiver.port)
    controller.start()
    yield receiver
    receiver.release.set()
    controller.stop()


def prepared(tmp_path: Path, **overrides: Any) -> tuple[Path, Engine]:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'pantau.db'}", **overrides)
    settings = load_settings(config)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    import_labelled_demo(engine, settings)
    return config, engine


def delivery(engine: Engine, channel: str) -> Delivery:
    with Session(engine) as session:
        return session.execute(select(Delivery).where(Delivery.channel == channel)).scalar_one()


def kill_while_hanging_then_rerun(config: Path, receiver: HangingReceiver, **env: str) -> str:
    process = start(config, "digest", "--date", DAY, "--send", **env)
    wait_until(lambda: len(receiver.received) == 1, process, timeout=300)
    kill9(process)
    receiver.hang.clear()
    receiver.release.set()
    rerun = run(config, "digest", "--date", DAY, "--send", **env)
    assert rerun.returncode == 0, rerun.stderr
    return rerun.stderr


@pytest.mark.slow
def test_a_webhook_delivery_killed_mid_request_is_sent_again_on_the_next_run(
    tmp_path: Path, webhook: HangingReceiver
) -> None:
    config, engine = prepared(tmp_path, webhook={"enabled": True, "timeout_seconds": 300})
    stderr = kill_while_hanging_then_rerun(config, webhook, PANTAU_WEBHOOK_URL=webhook.url)

    assert "delivery: 1 sent, 0 failed" in stderr
    first, second = webhook.received
    sent = delivery(engine, "webhook")
    assert first == second == (f"pantau-delivery-{sent.id}", first[1])
    assert first[1]["text"].startswith("# Ringkasan harian Pantau")
    assert (sent.status, sent.attempts) == ("sent", 1)
    assert delivery(engine, "file").status == "sent"
    engine.dispose()


@pytest.mark.slow
def test_an_email_killed_after_the_relay_took_the_data_is_sent_again_on_the_next_run(
    tmp_path: Path, smtp: HangingReceiver
) -> None:
    email = {
        "enabled": True,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "starttls": False,
        "timeout_seconds": 300,
    }
    config, engine = prepared(tmp_path, email=email, digest={"recipients": ["ops@example.org"]})
    stderr = kill_while_hanging_then_rerun(config, smtp)

    assert "delivery: 1 sent, 0 failed" in stderr
    first, second = (message_from_bytes(content, policy=policy.default) for content in smtp.received)
    sent = delivery(engine, "email")
    assert first["Message-ID"] == second["Message-ID"] == f"<pantau-delivery-{sent.id}@pantau>"
    assert first["Subject"] == second["Subject"] and "12 November 2026" in first["Subject"]
    assert first.get_body(("plain",)).get_content() == second.get_body(("plain",)).get_content()
    assert (sent.status, sent.attempts) == ("sent", 1)
    engine.dispose()
