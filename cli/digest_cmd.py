"""`pantau digest`: the daily digest for one calendar day, as Markdown or HTML, optionally sent."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from sqlalchemy import Engine
from sqlmodel import Session

from pantau.cli.common import EXIT_USAGE, err, fail, get_engine, get_settings
from pantau.core.config import Settings
from pantau.storage.models import utcnow

DAY_WORDS = "YYYY-MM-DD, yesterday, today, latest (newest day with posts) or busiest (most complaints)"


def resolve_day(engine: Engine, settings: Settings, value: str) -> date:
    from pantau.reports.digest import busiest_day, latest_day, yesterday

    word = value.strip().lower()
    if word == "yesterday":
        return yesterday(settings)
    if word == "today":
        return utcnow().astimezone(settings.tz).date()
    if word in {"busiest", "latest"}:
        with Session(engine) as session:
            found = busiest_day(session, settings) if word == "busiest" else latest_day(session, settings)
        if found is None:
            fail("no classified posts are stored yet; run `pantau run --once` first")
        return found
    try:
        return date.fromisoformat(word)
    except ValueError:
        fail(f"--date: expected {DAY_WORDS}, got {value!r}", EXIT_USAGE)


def digest_command(
    day: str = typer.Option("yesterday", "--date", "-d", help=f"The day: {DAY_WORDS}."),
    fmt: str | None = typer.Option(None, "--format", "-f", help="md or html (default: --output's suffix, else md)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the digest here instead of stdout."),
    send: bool = typer.Option(False, "--send", help="Also deliver it (e-mail, webhook) once per channel."),
) -> None:
    """Write the daily digest for one calendar day in the configured time zone.

    Counts per issue type against the previous day and the 7-day average, spikes, the top posts per
    type (redacted, near-duplicates folded), the triage backlog, collection health and the model.
    The digest is also stored in the database and in digest.output_dir; the same day gives the same
    content every time. Default day: yesterday.

    Example: pantau digest --date busiest --format html --output digest.html
    """
    from pantau.reports.digest import SEND_FORMATS, make_digest, send_digest

    settings = get_settings()
    engine = get_engine(settings)
    if fmt is None:
        fmt = "html" if output is not None and output.suffix.lower() in {".html", ".htm"} else "md"
    if fmt not in {"md", "html"}:
        fail(f"--format: expected md or html, got {fmt!r}", EXIT_USAGE)
    chosen = resolve_day(engine, settings, day)
    outcome = make_digest(engine, settings, chosen, [fmt, *(SEND_FORMATS if send else ())])
    content = outcome.contents[fmt]
    if output is None:
        typer.echo(content, nl=False)
    else:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(content, encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror or exc}")
        err.print(f"digest for {chosen} written to {output}", markup=False)
    stored = ", ".join(sorted(outcome.paths.values()))
    err.print(f"stored in the database and in {stored}", markup=False)
    if send:
        report = send_digest(engine, settings, chosen)
        err.print(f"delivery: {report.summary()}", markup=False)
        if not report.ok:
            raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("digest")(digest_command)
