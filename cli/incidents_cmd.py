"""`pantau incidents`: list, show, merge, split, acknowledge, resolve and export incidents."""

from __future__ import annotations

import getpass
import json
import sys
from email import policy
from pathlib import Path

import typer
from rich.table import Table
from sqlmodel import Session

from pantau.cli.common import err, fail, get_engine, get_settings, out
from pantau.reports.incident_actions import (
    IncidentError,
    acknowledge_incident,
    merge_incidents,
    resolve_incident,
    split_incident,
)
from pantau.reports.incident_view import TREND_WORDS, view_incident
from pantau.reports.sla import clock_text
from pantau.storage.incidents import INCIDENT_STATUSES, get_incident, linked_alerts, list_incidents, member_posts
from pantau.storage.models import utcnow

incidents_app = typer.Typer(
    help="Incidents: posts about the same problem, grouped, with SLA clocks. Triage them here or in the web app.",
    no_args_is_help=True,
)
ACTOR_HELP = "Who is acting (recorded on the incident and its posts); default: the login name."


def _actor(value: str | None) -> str:
    return (value or getpass.getuser() or "cli").strip()[:128]


@incidents_app.command("list")
def list_command(
    status: list[str] = typer.Option([], "--status", help="open, acknowledged, resolved, merged (repeatable)."),
    label: list[str] = typer.Option([], "--label", "-l", help="Issue type key (repeatable)."),
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
    output_format: str = typer.Option("table", "--format", "-f", help="table or json."),
) -> None:
    """Active incidents (open and acknowledged) by latest activity, with post count, trend and SLA clock.

    Example: the open outage incidents as JSON:

        pantau incidents list --status open --label outage_performance --format json
    """
    settings = get_settings()
    unknown = sorted(set(status) - set(INCIDENT_STATUSES))
    if unknown:
        fail(f"unknown status {', '.join(unknown)}; one of {', '.join(INCIDENT_STATUSES)}", 2)
    engine = get_engine(settings)
    now = utcnow()
    with Session(engine) as session:
        found = list_incidents(session, statuses=status or ("open", "acknowledged"), labels=label, limit=limit)
        views = [view_incident(session, settings, incident, now) for incident in found]
    if output_format == "json":
        rows = [
            {
                "id": view.incident.id,
                "label": view.incident.label,
                "title": view.incident.title,
                "status": view.incident.status,
                "post_count": view.incident.post_count,
                "first_seen": view.incident.first_seen.isoformat(),
                "last_seen": view.incident.last_seen.isoformat(),
                "trend": view.trend.as_dict(),
                "sla_state": view.sla_state,
                "acknowledge": view.acknowledge.as_dict(now),
                "resolve": view.resolve.as_dict(now),
            }
            for view in views
        ]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    grid = Table(title="Insiden")
    for column in ("#", "jenis", "judul", "status", "unggahan", "terakhir", "tren", "SLA"):
        grid.add_column(column, justify="right" if column in {"#", "unggahan"} else "left")
    for view in views:
        incident = view.incident
        clock = view.acknowledge if incident.status == "open" else view.resolve
        flag = "⚠ " if view.sla_state == "overdue" else ""
        grid.add_row(
            str(incident.id),
            view.display,
            incident.title[:60],
            incident.status,
            str(incident.post_count),
            incident.last_seen.astimezone(settings.tz).strftime("%d %b %H:%M"),
            TREND_WORDS[view.trend.direction],
            flag + clock_text(clock, now, settings.tz),
        )
    out.print(grid)


@incidents_app.command("show")
def show_command(
    incident_id: int = typer.Argument(..., min=1),
    posts: int = typer.Option(20, "--posts", min=0, max=10_000, help="How many of its posts to list."),
) -> None:
    """One incident: clocks, trend, linked alerts and its posts (redacted), oldest first."""
    settings = get_settings()
    engine = get_engine(settings)
    now = utcnow()
    with Session(engine) as session:
        incident = get_incident(session, incident_id)
        if incident is None:
            fail(f"incident {incident_id} does not exist")
        view = view_incident(session, settings, incident, now)
        members = member_posts(session, incident_id, limit=posts)
        tz = settings.tz
        lines = [
            f"#{incident.id} {view.display} · {incident.status}: {incident.title}",
            f"{incident.post_count} posts, {incident.first_seen.astimezone(tz):%Y-%m-%d %H:%M} – "
            f"{incident.last_seen.astimezone(tz):%Y-%m-%d %H:%M} {settings.timezone}; trend "
            f"{view.trend.direction} ({view.trend.recent_per_hour:.1f}/h in the last {view.trend.hours} h, "
            f"{view.trend.earlier_per_hour:.1f}/h before)",
            f"acknowledge: {clock_text(view.acknowledge, now, tz)}",
            f"resolve: {clock_text(view.resolve, now, tz)}",
        ]
        if incident.merged_into_id:
            lines.append(f"merged into #{incident.merged_into_id}")
        for alert in linked_alerts(session, incident_id):
            lines.append(
                f"alert #{alert.id} {alert.label}: from {alert.window_start.astimezone(tz):%Y-%m-%d %H:%M}, "
                f"peak {alert.peak_observed}/h, {alert.status}"
            )
        lines += [
            f"  {post.id:>7}  {post.created_at.astimezone(tz):%m-%d %H:%M}  {post.status:<12} "
            f"{' '.join(post.text_redacted.split())[:110]}"
            for post in members
        ]
    out.print("\n".join(lines), markup=False, highlight=False)


def _change(action: str, run) -> None:  # type: ignore[no-untyped-def]
    settings = get_settings()
    engine = get_engine(settings)
    with Session(engine) as session:
        try:
            incident = run(session, settings)
        except IncidentError as exc:
            fail(str(exc))
        session.commit()
        err.print(f"incident #{incident.id} {action}: {incident.post_count} post(s), {incident.status}", markup=False)
    typer.echo(incident.id)


@incidents_app.command("merge")
def merge_command(
    target: int = typer.Argument(..., min=1, help="The incident that remains."),
    sources: list[int] = typer.Argument(..., help="Incidents merged into it."),
    actor: str | None = typer.Option(None, "--by", help=ACTOR_HELP),
) -> None:
    """Merge incidents: their posts and alerts move to TARGET, they remain as pointers (status merged).

    Example: pantau incidents merge 12 15 16
    """
    _change("merged", lambda session, settings: merge_incidents(session, settings, target, sources, _actor(actor)))


@incidents_app.command("split")
def split_command(
    incident_id: int = typer.Argument(..., min=1),
    post_ids: list[int] = typer.Argument(..., help="Posts to move into a new incident."),
    title: str | None = typer.Option(None, "--title", help="Title of the new incident (default: picked from posts)."),
    actor: str | None = typer.Option(None, "--by", help=ACTOR_HELP),
) -> None:
    """Split posts off an incident into a new incident of the same type; prints the new id.

    Example: pantau incidents split 12 3401 3417 --title "Klaim JKP gagal kirim"
    """
    _change(
        "created by split",
        lambda session, settings: split_incident(session, settings, incident_id, post_ids, _actor(actor), title=title),
    )


@incidents_app.command("ack")
def ack_command(
    incident_id: int = typer.Argument(..., min=1), actor: str | None = typer.Option(None, "--by", help=ACTOR_HELP)
) -> None:
    """Acknowledge an incident: stops its acknowledge clock; its new posts become acknowledged."""
    _change(
        "acknowledged", lambda session, settings: acknowledge_incident(session, settings, incident_id, _actor(actor))
    )


@incidents_app.command("resolve")
def resolve_command(
    incident_id: int = typer.Argument(..., min=1), actor: str | None = typer.Option(None, "--by", help=ACTOR_HELP)
) -> None:
    """Resolve an incident: stops both clocks; its open posts are resolved with it."""
    _change("resolved", lambda session, settings: resolve_incident(session, settings, incident_id, _actor(actor)))


@incidents_app.command("export")
def export_command(
    incident_id: int = typer.Argument(..., min=1),
    output_format: str = typer.Option("json", "--format", "-f", help="json (ticket) or email (RFC 5322 .eml)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here instead of stdout."),
) -> None:
    """Export an incident as a ticket for a ticketing system or a LAPOR! operator (redacted posts only).

    Example: pantau incidents export 12 --format email --output incident-12.eml
    """
    from pantau.reports.incident_ticket import incident_ticket, ticket_email

    if output_format not in {"json", "email"}:
        fail("--format must be json or email", 2)
    settings = get_settings()
    engine = get_engine(settings)
    now = utcnow()
    with Session(engine) as session:
        incident = get_incident(session, incident_id)
        if incident is None:
            fail(f"incident {incident_id} does not exist")
        if output_format == "json":
            data = json.dumps(incident_ticket(session, settings, incident, now), ensure_ascii=False, indent=2) + "\n"
            payload = data.encode("utf-8")
        else:
            payload = ticket_email(settings, session, incident, now).as_bytes(policy=policy.SMTP)
    if output is None:
        sys.stdout.buffer.write(payload)
        sys.stdout.flush()
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(payload)
    err.print(f"incident #{incident_id} written to {output}", markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(incidents_app, name="incidents")
