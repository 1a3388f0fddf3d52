"""The words of an alert: subject and Markdown text, rebuilt from the alert row for every attempt."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from pantau.core.config import Settings
from pantau.reports.channels import DeliveryError, Message
from pantau.reports.digest_format import (
    escape_markdown,
    local_time,
    long_date,
    markdown_url,
    number,
    safe_url,
    zone_name,
)
from pantau.reports.digest_format import shorten as shorten_text
from pantau.storage.label_counts import hour_start
from pantau.storage.models import Alert, Delivery, Post

BASELINE_NAMES = {
    "same hour of the week": "jam yang sama pada minggu-minggu sebelumnya",
    "same hour of the day": "jam yang sama pada hari-hari sebelumnya",
    "all recent hours": "semua jam dalam seminggu terakhir (riwayat masih pendek)",
}


def alert_file(settings: Settings, alert: Alert, event: str) -> Path:
    return settings.path(settings.data_dir) / "alerts" / f"alert-{alert.id:06d}-{event}.md"


def _hour_span(settings: Settings, start_iso: str) -> str:
    start = datetime.fromisoformat(start_iso)
    tz = settings.tz
    local = start.astimezone(tz)
    return f"{long_date(local.date())}, {local_time(start, tz)}–{local_time(start + timedelta(hours=1), tz)}"


def alert_subject(settings: Settings, alert: Alert, event: str) -> str:
    display = settings.display_name(alert.label)
    first = alert.details.get("first", {})
    if event == "opened":
        when = local_time(alert.window_start, settings.tz, with_date=True)
        return f"[Pantau] Lonjakan {display}: {first.get('observed', alert.observed)} unggahan/jam sejak {when}"
    return f"[Pantau] Selesai: lonjakan {display} (puncak {alert.peak_observed}/jam)"


def _samples(session: Session, settings: Settings, alert: Alert) -> list[str]:
    if not alert.sample_post_ids:
        return []
    posts = {
        post.id: post for post in session.execute(select(Post).where(Post.id.in_(alert.sample_post_ids))).scalars()
    }
    lines = []
    for post_id in alert.sample_post_ids:
        post = posts.get(post_id)
        if post is None:
            continue
        who = f" — {escape_markdown(post.author)}" if post.author else ""
        url = safe_url(post.url)
        link = f" [tautan]({markdown_url(url)})" if url else ""
        when = local_time(post.created_at, settings.tz)
        lines.append(f"- {escape_markdown(shorten_text(post.text_redacted, 200))}{who} ({when}){link}")
    return lines


def alert_text(session: Session, settings: Settings, alert: Alert, event: str) -> str:
    display = escape_markdown(settings.display_name(alert.label))
    zone = zone_name(settings.timezone)
    first = alert.details.get("first", {})
    peak = alert.details.get("peak", first)
    method = BASELINE_NAMES.get(str(first.get("baseline")), str(first.get("baseline", "")))
    if event == "opened":
        lines = [
            f"**⚠️ Lonjakan keluhan: {display}**",
            "",
            f"{_hour_span(settings, first['hour'])} {zone}: **{number(first['observed'])} unggahan** "
            f"(biasanya {number(first['expected'], 1)} per jam; skor z {number(first['z'], 1)}).",
            f"Pembanding: {method} ({first.get('samples')} sampel).",
        ]
        samples = _samples(session, settings, alert)
        if samples:
            lines += ["", "Contoh unggahan:", *samples]
    else:
        tz = settings.tz
        last_end = hour_start(int(alert.details["last_hour"]) + 1)
        peak_at = local_time(datetime.fromisoformat(peak["hour"]), tz)
        lines = [
            f"**✅ Selesai: lonjakan {display}**",
            "",
            f"Tidak biasa dari {local_time(alert.window_start, tz, with_date=True)} sampai "
            f"{local_time(last_end, tz)} {zone} ({alert.details.get('unusual_hours', 1)} jam tidak biasa); "
            f"puncak **{number(peak['observed'])} unggahan/jam** pukul {peak_at} "
            f"(biasanya {number(peak['expected'], 1)}).",
            f"Dinyatakan selesai {local_time(alert.resolved_at, tz, with_date=True)} {zone} setelah "
            f"{settings.alerts.resolve_after_quiet_hours} jam normal.",
        ]
    lines += ["", f"Peringatan #{alert.id} · Pantau"]
    return "\n".join(lines) + "\n"


def alert_message(session: Session, settings: Settings, delivery: Delivery) -> Message:
    alert = session.get(Alert, int(delivery.ref))
    if alert is None:
        raise DeliveryError(f"alert {delivery.ref} no longer exists")
    event = delivery.kind.removeprefix("alert_")
    return Message(
        subject=alert_subject(settings, alert, event),
        text=alert_text(session, settings, alert, event),
        full_path=delivery.payload_path or str(alert_file(settings, alert, event)),
        recipients=tuple(settings.alerts.recipients),
    )
