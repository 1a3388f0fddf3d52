"""Delivering digests and alerts: a file always, then e-mail and webhook, retried until sent or given up.

Every outgoing message is a Delivery row (kind, ref, channel) created in the transaction that stores
what it announces, so a crash between storing and sending loses nothing: the next `pantau run --once`
or the scheduler's delivery job sends it. The message is rebuilt from the database (digest table,
alert table) at each attempt, never kept only in memory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from pantau.core.config import Settings
from pantau.reports.channels import DeliveryError, Message, post_webhook, send_email
from pantau.storage.deliveries import due_deliveries, enqueue_delivery, mark_failed_attempt, mark_sent
from pantau.storage.models import Delivery, utcnow

log = logging.getLogger(__name__)

PUSH_CHANNELS = ("email", "webhook")
Sender = Callable[[Settings, Message], None]


def write_file(settings: Settings, message: Message) -> None:
    """The file channel: the message's Markdown, kept on disk beside the database copy."""
    if not message.full_path:
        raise DeliveryError("no file path for this message")
    path = Path(message.full_path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != message.text:
            path.write_text(message.text, encoding="utf-8")
    except OSError as exc:
        raise DeliveryError(f"cannot write {path}: {exc.strerror or exc}") from None


SENDERS: dict[str, Sender] = {
    "file": write_file,
    "email": send_email,
    "webhook": lambda settings, message: post_webhook(settings.webhook, message),
    "escalation_webhook": lambda settings, message: post_webhook(
        settings.webhook.model_copy(update={"url_env": settings.sla.escalation.webhook_url_env}), message
    ),
}


@dataclass(slots=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    """Attempts that failed this time (the delivery may still be retried)."""
    given_up: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def summary(self) -> str:
        if not (self.sent or self.failed):
            return "nothing to deliver"
        text = f"{self.sent} sent, {self.failed} failed"
        if self.given_up:
            text += f" ({self.given_up} given up after the last attempt)"
        return text + (f": {self.errors[0]}" if self.errors else "")


def push_channels(settings: Settings, recipients: list[str]) -> list[str]:
    """The enabled push channels; e-mail only when it has someone to write to."""
    channels = []
    if settings.email.enabled and recipients:
        channels.append("email")
    if settings.webhook.enabled:
        channels.append("webhook")
    return channels


def queue_message(
    session: Session,
    settings: Settings,
    kind: str,
    ref: str,
    *,
    subject: str,
    file_path: str,
    recipients: list[str],
    push: bool = True,
) -> list[Delivery]:
    """Queue the file and each enabled push channel in the caller's transaction; idempotent per channel."""
    queued = [enqueue_delivery(session, kind, ref, "file", subject=subject, payload_path=file_path)]
    for channel in push_channels(settings, recipients) if push else []:
        queued.append(enqueue_delivery(session, kind, ref, channel, subject=subject, payload_path=file_path))
    return queued


def load_message(session: Session, settings: Settings, delivery: Delivery) -> Message:
    """Rebuild the message a delivery carries from what the database holds."""
    if delivery.kind == "digest":
        from pantau.reports.digest_store import digest_message

        return digest_message(session, settings, delivery)
    if delivery.kind.startswith("alert_"):
        from pantau.reports.alert_message import alert_message

        return alert_message(session, settings, delivery)
    if delivery.kind == "escalation":
        from pantau.reports.escalation import escalation_message

        return escalation_message(session, settings, delivery)
    raise DeliveryError(f"unknown delivery kind {delivery.kind!r}")


def attempt(session: Session, settings: Settings, delivery: Delivery, now: datetime, report: DeliveryReport) -> None:
    """One attempt; the outcome is written on the row in the caller's transaction."""
    try:
        message = replace(load_message(session, settings, delivery), idempotency_key=f"pantau-delivery-{delivery.id}")
        SENDERS[delivery.channel](settings, message)
    except DeliveryError as exc:
        error = str(exc)
    except Exception as exc:  # a bug in a renderer must not stop the other deliveries
        log.exception("delivery %s crashed", delivery.id)
        error = f"{type(exc).__name__}: internal error"
    else:
        mark_sent(delivery, now)
        report.sent += 1
        log.info("delivered %s %s via %s", delivery.kind, delivery.ref, delivery.channel)
        return
    mark_failed_attempt(
        delivery,
        error,
        now=now,
        max_attempts=settings.alerts.max_delivery_attempts,
        backoff_seconds=settings.alerts.retry_backoff_seconds,
    )
    report.failed += 1
    report.given_up += delivery.status == "failed"
    report.errors.append(f"{delivery.kind} {delivery.ref} via {delivery.channel}: {error}")
    log.warning("delivery of %s %s via %s failed (attempt %d): %s", *_describe(delivery), error)


def _describe(delivery: Delivery) -> tuple[str, str, str, int]:
    return delivery.kind, delivery.ref, delivery.channel, delivery.attempts


def deliver_due(engine: Engine, settings: Settings, now: datetime | None = None) -> DeliveryReport:
    """Attempt every pending delivery that is due; each outcome is committed on its own."""
    report = DeliveryReport()
    moment = now or utcnow()
    with Session(engine) as session:
        for delivery in due_deliveries(session, moment):
            attempt(session, settings, delivery, moment, report)
            session.add(delivery)
            session.commit()
    return report
