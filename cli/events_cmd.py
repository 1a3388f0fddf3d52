"""`pantau events`: the service's own timeline (releases, known outages, maintenance windows)."""

from __future__ import annotations

import getpass
import json
import sys

import typer
from rich.table import Table
from sqlmodel import Session

from pantau.cli.common import EXIT_USAGE, err, fail, get_engine, get_settings, out
from pantau.core.timeutil import parse_date_or_relative, parse_timestamp
from pantau.storage.service_events import EVENT_KINDS, EventError, add_event, events_between, remove_event

events_app = typer.Typer(
    help="Record releases, outages and maintenance; trend charts and the digest mark them and state their effect.",
    no_args_is_help=True,
)


@events_app.command("add")
def add_command(
    kind: str = typer.Option(..., "--kind", "-k", help=f"One of {', '.join(EVENT_KINDS)}."),
    at: str = typer.Option(..., "--at", help="When it started: ISO time; without an offset in the configured zone."),
    title: str = typer.Option(..., "--title", "-t", help="Short name, e.g. the version: 4.2.1."),
    ends: str | None = typer.Option(None, "--ends", help="When it ended (outages, maintenance windows)."),
    description: str | None = typer.Option(None, "--description", help="Longer note."),
    actor: str | None = typer.Option(None, "--by", help="Who records it; default: the login name."),
) -> None:
    """Record an event; prints its id.

    Example: the app release of 10 November, 19:00 Jakarta time:

        pantau events add --kind release --at "2026-11-10 19:00" --title 4.2.1
    """
    settings = get_settings()
    try:
        start = parse_timestamp(at, settings.tz)
        end = parse_timestamp(ends, settings.tz) if ends else None
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)
    engine = get_engine(settings)
    with Session(engine) as session:
        try:
            event = add_event(
                session,
                kind=kind,
                at=start,
                ends_at=end,
                title=title,
                description=description,
                created_by=(actor or getpass.getuser() or "cli")[:128],
            )
        except EventError as exc:
            fail(str(exc), EXIT_USAGE)
        session.commit()
        when = f"{start.astimezone(settings.tz):%Y-%m-%d %H:%M}"
        err.print(f"{event.kind} {event.title!r} recorded at {when}", markup=False)
        typer.echo(event.id)


@events_app.command("list")
def list_command(
    since: str | None = typer.Option(None, "--since", help="A date, timestamp, or 30d / 12w back."),
    output_format: str = typer.Option("table", "--format", "-f", help="table or json."),
) -> None:
    """Recorded events, oldest first."""
    settings = get_settings()
    try:
        start = parse_date_or_relative(since, settings.tz) if since else None
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)
    engine = get_engine(settings)
    with Session(engine) as session:
        events = events_between(session, start)
    tz = settings.tz
    if output_format == "json":
        rows = [
            {
                "id": event.id,
                "kind": event.kind,
                "at": event.at.astimezone(tz).isoformat(),
                "ends_at": event.ends_at.astimezone(tz).isoformat() if event.ends_at else None,
                "title": event.title,
                "description": event.description,
                "created_by": event.created_by,
            }
            for event in events
        ]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    grid = Table(title="Peristiwa layanan")
    for column in ("#", "jenis", "mulai", "selesai", "judul"):
        grid.add_column(column)
    for event in events:
        grid.add_row(
            str(event.id),
            event.kind,
            f"{event.at.astimezone(tz):%Y-%m-%d %H:%M}",
            f"{event.ends_at.astimezone(tz):%Y-%m-%d %H:%M}" if event.ends_at else "",
            event.title,
        )
    out.print(grid)


@events_app.command("remove")
def remove_command(event_id: int = typer.Argument(..., min=1)) -> None:
    """Delete an event recorded by mistake."""
    engine = get_engine(get_settings())
    with Session(engine) as session:
        if not remove_event(session, event_id):
            fail(f"event {event_id} does not exist")
        session.commit()
    err.print(f"event {event_id} removed", markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(events_app, name="events")
