"""`pantau export`: posts with labels and triage state as JSONL or CSV."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from sqlmodel import Session

from pantau.cli.common import err, fail, get_engine, get_settings
from pantau.core.timeutil import parse_date_or_relative
from pantau.reports.export import EXPORT_FIELDS, ExportFilter, iter_export_rows
from pantau.reports.spreadsheet import write_csv


def export_command(
    file_format: str = typer.Option("jsonl", "--format", "-f", help="jsonl or csv."),
    output: Path | None = typer.Option(None, "--output", "-o", help="File to write (default: stdout)."),
    since: str | None = typer.Option(None, "--since", help="Posts created since: a date, timestamp or 7d/30d."),
    until: str | None = typer.Option(None, "--until", help="Posts created before this date or timestamp."),
    source: list[str] = typer.Option([], "--source", help="Only these sources (repeatable)."),
    label: list[str] = typer.Option([], "--label", help="Only posts carrying these labels (repeatable)."),
    status: list[str] = typer.Option([], "--status", help="Only these triage statuses (repeatable)."),
    unredacted: bool = typer.Option(
        False, "--unredacted", help="Include unmasked text; refused unless privacy.show_unredacted_to_admins is on."
    ),
) -> None:
    """Export posts with their labels, primary label, confidence, triage status and model version.

    Text is redacted (NIK, KPJ, phone numbers and e-mails masked) unless the config allows otherwise.
    CSV cells that a spreadsheet would run as a formula are neutralised.

    Example: pantau export --format csv --since 30d --label account_access --output login.csv
    """
    if file_format not in {"jsonl", "csv"}:
        fail(f"unknown format {file_format!r}; use jsonl or csv", 2)
    settings = get_settings()
    if unredacted and not settings.privacy.show_unredacted_to_admins:
        fail("unredacted export is switched off (privacy.show_unredacted_to_admins: false)", 2)
    unknown = sorted(set(label) - set(settings.label_keys))
    if unknown:
        fail(f"unknown label(s) {', '.join(unknown)}; known: {', '.join(settings.label_keys)}", 2)
    try:
        filters = ExportFilter(
            since=parse_date_or_relative(since, settings.tz) if since else None,
            until=parse_date_or_relative(until, settings.tz) if until else None,
            sources=source,
            labels=label,
            statuses=status,
        )
    except ValueError as exc:
        fail(str(exc), 2)
    engine = get_engine(settings)
    handle = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    count = 0
    try:
        with Session(engine) as session:
            rows = iter_export_rows(session, filters, unredacted=unredacted)
            if file_format == "csv":
                count = write_csv(
                    handle,
                    EXPORT_FIELDS,
                    (
                        [";".join(row["labels"]) if name == "labels" else row[name] for name in EXPORT_FIELDS]
                        for row in rows
                    ),
                )
            else:
                for row in rows:
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                    count += 1
    finally:
        if output:
            handle.close()
    err.print(f"exported {count} post(s)" + (f" to {output}" if output else ""), markup=False)


def register(app: typer.Typer) -> None:
    app.command("export")(export_command)
