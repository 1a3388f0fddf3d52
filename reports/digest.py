"""The daily digest: which day, rendering in each format, storing, and sending once per day.

A digest is a pure function of the stored data for its day (counts from the effective labels,
backlog and collection health as of the day's end), so rendering the same day twice gives
byte-identical content; nothing in the body says when it was generated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from pantau.core.config import Settings
from pantau.reports.delivery import DeliveryReport, deliver_due, queue_message
from pantau.reports.digest_data import DigestData, build_digest_data
from pantau.reports.digest_format import long_date, number
from pantau.reports.digest_store import digest_path, store_digest, stored_digests
from pantau.storage.label_counts import hour_start, hourly_totals
from pantau.storage.models import PostLabel, utcnow

FORMATS = ("md", "html")
SEND_FORMATS = ("md", "html")
"""Sending needs both: Markdown for chat and the e-mail's text part, HTML for the e-mail."""


@dataclass(slots=True)
class DigestOutcome:
    day: date
    contents: dict[str, str] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    generated: bool = True
    deliveries: DeliveryReport | None = None


def yesterday(settings: Settings, now: datetime | None = None) -> date:
    """The last complete calendar day in the configured time zone."""
    return (now or utcnow()).astimezone(settings.tz).date() - timedelta(days=1)


def busiest_day(session: Session, settings: Settings) -> date | None:
    """The local day with the most complaint labels stored (ties: the later day)."""
    per_day: dict[date, int] = {}
    for hour, count in hourly_totals(session, settings.complaint_labels).items():
        local = hour_start(hour).astimezone(settings.tz).date()
        per_day[local] = per_day.get(local, 0) + count
    if not per_day:
        return None
    return max(per_day, key=lambda day: (per_day[day], day))


def latest_day(session: Session, settings: Settings) -> date | None:
    newest = session.execute(select(func.max(PostLabel.created_at))).scalar_one_or_none()
    return newest.astimezone(settings.tz).date() if newest is not None else None


def render(data: DigestData, fmt: str) -> str:
    if fmt == "md":
        from pantau.reports.digest_markdown import render_markdown

        return render_markdown(data)
    from pantau.reports.digest_html import render_html

    return render_html(data)


def subject(data: DigestData) -> str:
    text = f"Pantau · {long_date(data.day)}: {number(data.total_complaints)} keluhan"
    if data.spikes:
        text += " · lonjakan: " + ", ".join(label.display for label in data.spikes)
    return text


def make_digest(engine: Engine, settings: Settings, day: date, formats: Iterable[str] = FORMATS) -> DigestOutcome:
    """Render, store in the digest table and write to digest.output_dir, in every requested format."""
    outcome = DigestOutcome(day=day)
    with Session(engine) as session:
        data = build_digest_data(session, settings, day)
        model = data.models[0][0] if data.models else None
        for fmt in dict.fromkeys(formats):
            content = render(data, fmt)
            row = store_digest(session, settings, day, fmt, content, model)
            outcome.contents[fmt], outcome.paths[fmt] = content, str(row.path)
        session.commit()
    return outcome


def send_digest(engine: Engine, settings: Settings, day: date) -> DeliveryReport:
    """Queue the day's digest on every channel once (idempotent per channel) and deliver what is due."""
    with Session(engine) as session:
        data = build_digest_data(session, settings, day)
        queue_message(
            session,
            settings,
            "digest",
            day.isoformat(),
            subject=subject(data),
            file_path=str(digest_path(settings, day, "md")),
            recipients=settings.digest.recipients,
        )
        session.commit()
    return deliver_due(engine, settings)


def scheduled_digest(engine: Engine, settings: Settings, now: datetime | None = None) -> DigestOutcome:
    """The 07:00 job: yesterday's digest, generated at most once and sent at most once per channel."""
    day = yesterday(settings, now)
    formats = list(dict.fromkeys([*settings.digest.formats, *(SEND_FORMATS if settings.digest.send else ())]))
    with Session(engine) as session:
        stored = stored_digests(session, day)
    if all(fmt in stored for fmt in formats):
        outcome = DigestOutcome(day=day, generated=False)
        outcome.paths = {fmt: str(stored[fmt].path) for fmt in formats}
    else:
        outcome = make_digest(engine, settings, day, formats)
    if settings.digest.send:
        outcome.deliveries = send_digest(engine, settings, day)
    return outcome
