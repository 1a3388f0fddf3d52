"""Digests kept twice, in the digest table and as files in digest.output_dir, and rebuilt for delivery."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from pantau.core.config import Settings
from pantau.reports.channels import DeliveryError, Message
from pantau.storage.models import Delivery, Digest, utcnow

SUFFIXES = {"md": "md", "html": "html"}


def digest_path(settings: Settings, day: date, fmt: str) -> Path:
    return settings.path(settings.digest.output_dir) / f"digest-{day.isoformat()}.{SUFFIXES[fmt]}"


def stored_digests(session: Session, day: date) -> dict[str, Digest]:
    rows = session.execute(select(Digest).where(Digest.day == day)).scalars()
    return {row.format: row for row in rows}


def write_if_changed(path: Path, content: str) -> None:
    """Rewrite only when the content differs, so an unchanged digest keeps its file untouched."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file() and path.read_text(encoding="utf-8") == content:
        return
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(content, encoding="utf-8")
    temporary.replace(path)


def store_digest(
    session: Session, settings: Settings, day: date, fmt: str, content: str, model_version: str | None
) -> Digest:
    """Insert or refresh the (day, format) row and its file; the caller commits."""
    path = digest_path(settings, day, fmt)
    write_if_changed(path, content)
    row = stored_digests(session, day).get(fmt)
    if row is None:
        row = Digest(day=day, format=fmt, content=content, model_version=model_version, path=str(path))
    elif row.content != content or row.path != str(path):
        row.content, row.model_version, row.path, row.created_at = content, model_version, str(path), utcnow()
    session.add(row)
    return row


def digest_message(session: Session, settings: Settings, delivery: Delivery) -> Message:
    """The stored digest of the delivery's day: Markdown as text, HTML as the e-mail's rich part."""
    stored = stored_digests(session, date.fromisoformat(delivery.ref))
    markdown = stored.get("md")
    if markdown is None:
        raise DeliveryError(f"no Markdown digest stored for {delivery.ref}")
    html = stored.get("html")
    return Message(
        subject=delivery.subject or f"Pantau {delivery.ref}",
        text=markdown.content,
        html=html.content if html is not None else None,
        full_path=delivery.payload_path or markdown.path,
        recipients=tuple(settings.digest.recipients),
    )
