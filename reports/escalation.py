"""Escalating overdue SLA clocks: once per incident and stage, through the alert channels, to the contact.

Each escalation is a Delivery of kind 'escalation' with ref '<incident id>:<stage>', created in the same
transaction that marks the stage escalated on the incident; the (kind, ref, channel) unique constraint
and that mark together make a second cycle, a restart or a concurrent run send nothing twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlmodel import Session

from pantau.core.config import Settings
from pantau.reports.channels import DeliveryError, Message
from pantau.reports.digest_format import escape_markdown, local_time, markdown_url, number, safe_url, zone_name
from pantau.reports.digest_format import shorten as shorten_text
from pantau.reports.sla import incident_clocks
from pantau.storage.deliveries import enqueue_delivery
from pantau.storage.incidents import overdue_incidents
from pantau.storage.models import Delivery, Incident, Post

if TYPE_CHECKING:
    from pantau.reports.incidents import IncidentRun

ESCALATION_KIND = "escalation"
ESCALATION_WEBHOOK = "escalation_webhook"
STAGE_WORDS = {"acknowledge": "belum diakui", "resolve": "belum diselesaikan"}
SAMPLE_POSTS = 3


def escalation_ref(incident_id: int, stage: str) -> str:
    return f"{incident_id}:{stage}"


def escalation_file(settings: Settings, incident_id: int, stage: str) -> Path:
    return settings.path(settings.data_dir) / "escalations" / f"escalation-{incident_id:06d}-{stage}.md"


def recipients(settings: Settings) -> list[str]:
    return list(settings.sla.escalation.recipients or settings.alerts.recipients)


def channels(settings: Settings) -> list[str]:
    """file always; e-mail to the contact; the contact's own webhook, else the alert webhook."""
    options = settings.sla.escalation
    found = ["file"]
    if settings.email.enabled and recipients(settings):
        found.append("email")
    if options.webhook_url_env:
        found.append(ESCALATION_WEBHOOK)
    elif options.webhook and settings.webhook.enabled:
        found.append("webhook")
    return found


def escalation_subject(settings: Settings, incident: Incident, stage: str) -> str:
    display = settings.display_name(incident.label)
    return f"[Pantau] Eskalasi SLA: insiden #{incident.id} {display} {STAGE_WORDS.get(stage, stage)}"


def escalate_overdue(session: Session, settings: Settings, now: datetime, run: IncidentRun) -> None:
    """Queue one escalation per overdue stage not escalated before; old due times are filed, not pushed."""
    fresh_after = now - timedelta(hours=settings.alerts.deliver_max_age_hours)
    for incident in overdue_incidents(session, now):
        done = dict((incident.details or {}).get("escalations", {}))
        for clock in incident_clocks(incident):
            if clock.stage in done or clock.state(now) != "overdue" or clock.due_at is None:
                continue
            ref = escalation_ref(incident.id, clock.stage)  # type: ignore[arg-type]
            subject = escalation_subject(settings, incident, clock.stage)
            path = str(escalation_file(settings, incident.id, clock.stage))  # type: ignore[arg-type]
            push = clock.due_at >= fresh_after
            for channel in channels(settings) if push else ["file"]:
                enqueue_delivery(session, ESCALATION_KIND, ref, channel, subject=subject, payload_path=path)
            done[clock.stage] = now.isoformat()
            run.escalated.append(ref)
        if done != (incident.details or {}).get("escalations", {}):
            incident.details = {**(incident.details or {}), "escalations": done}
            incident.escalated_at = incident.escalated_at or now
            session.add(incident)


def _samples(session: Session, settings: Settings, incident: Incident) -> list[str]:
    posts = session.execute(
        select(Post).where(Post.incident_id == incident.id).order_by(Post.created_at, Post.id).limit(SAMPLE_POSTS)
    ).scalars()
    lines = []
    for post in posts:
        url = safe_url(post.url)
        link = f" [tautan]({markdown_url(url)})" if url else ""
        when = local_time(post.created_at, settings.tz, with_date=True)
        lines.append(f"- {escape_markdown(shorten_text(post.text_redacted, 200))} ({when}){link}")
    return lines


def _escalated_at(escalated: str | None, settings: Settings) -> str:
    if not escalated:
        return "."
    moment = local_time(datetime.fromisoformat(escalated), settings.tz, with_date=True)
    return f"; dieskalasi {moment} {zone_name(settings.timezone)}."


def escalation_text(session: Session, settings: Settings, incident: Incident, stage: str) -> str:
    tz, zone = settings.tz, zone_name(settings.timezone)
    clocks = {clock.stage: clock for clock in incident_clocks(incident)}
    due = clocks[stage].due_at
    escalated = (incident.details or {}).get("escalations", {}).get(stage)
    lines = [
        f"**⏰ Eskalasi SLA: insiden #{incident.id} {STAGE_WORDS.get(stage, stage)}**",
        "",
        f"{escape_markdown(settings.display_name(incident.label))}: {escape_markdown(incident.title)}",
        f"{number(incident.post_count)} unggahan, pertama {local_time(incident.first_seen, tz, with_date=True)}, "
        f"terakhir {local_time(incident.last_seen, tz, with_date=True)} {zone}. Status: {incident.status}.",
        f"Batas waktu: {local_time(due, tz, with_date=True)} {zone}" + _escalated_at(escalated, settings),
    ]
    samples = _samples(session, settings, incident)
    if samples:
        lines += ["", "Contoh unggahan:", *samples]
    lines += ["", f"Insiden #{incident.id} · `pantau incidents show {incident.id}` · Pantau"]
    return "\n".join(lines) + "\n"


def escalation_message(session: Session, settings: Settings, delivery: Delivery) -> Message:
    incident_id, _, stage = delivery.ref.partition(":")
    incident = session.get(Incident, int(incident_id)) if incident_id.isdigit() else None
    if incident is None:
        raise DeliveryError(f"incident {incident_id} no longer exists")
    return Message(
        subject=escalation_subject(settings, incident, stage),
        text=escalation_text(session, settings, incident, stage),
        full_path=delivery.payload_path or str(escalation_file(settings, incident.id, stage)),  # type: ignore[arg-type]
        recipients=tuple(recipients(settings)),
    )
