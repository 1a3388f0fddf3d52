"""`pantau trends`: complaint counts per issue type over time, as a table, CSV, JSON or chart."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import Engine
from sqlmodel import Session

from pantau.cli.common import fail, get_engine, get_settings, out
from pantau.core.config import Settings
from pantau.core.timeutil import parse_date_or_relative
from pantau.reports.adjusted import AdjustedSeries, LabelQuality, adjust, current_quality
from pantau.reports.spreadsheet import write_csv
from pantau.reports.timeline import event_name
from pantau.reports.trends import GRANULARITIES, TrendTable, trend_counts
from pantau.storage.service_events import events_between


def _bucket_text(bucket: datetime, by: str) -> str:
    return bucket.strftime("%Y-%m-%d %H:%M" if by == "hour" else "%Y-%m-%d")


def trends_command(
    since: str = typer.Option("30d", "--since", help="Start: a date (2026-11-01), timestamp, or 7d / 30d / 12w."),
    until: str | None = typer.Option(None, "--until", help="End (exclusive): a date or timestamp; default now."),
    by: str = typer.Option("day", "--by", help="hour, day, week or month, in the configured time zone."),
    label: list[str] = typer.Option([], "--label", "-l", help="Issue type key (repeatable); default all complaints."),
    source: list[str] = typer.Option([], "--source", "-s", help="Only these sources (repeatable)."),
    output_format: str = typer.Option("table", "--format", "-f", help="table, csv or json."),
    plot: Path | None = typer.Option(None, "--plot", help="Also draw a PNG line chart here."),
    adjusted: bool = typer.Option(
        False, "--adjusted", help="Add counts adjusted for the current model's error, with an interval."
    ),
) -> None:
    """Complaint counts per issue type over time, from each post's current labels (triage corrections win).

    Example: how did login complaints move week by week this month?

        pantau trends --since 2026-11-01 --by week --label account_access --plot login.png

    With --adjusted each count also gets count × precision / recall of the current model (test split,
    plus triage corrections once there are enough) and an interval; service events are drawn on --plot.
    """
    settings = get_settings()
    if by not in GRANULARITIES:
        fail(f"--by must be one of {', '.join(GRANULARITIES)}", 2)
    if output_format not in {"table", "csv", "json"}:
        fail("--format must be table, csv or json", 2)
    unknown = sorted(set(label) - set(settings.label_keys))
    if unknown:
        fail(f"unknown label(s) {', '.join(unknown)}; known: {', '.join(settings.label_keys)}", 2)
    try:
        since_at = parse_date_or_relative(since, settings.tz)
        until_at = parse_date_or_relative(until, settings.tz) if until else datetime.now(UTC)
    except ValueError as exc:
        fail(str(exc), 2)
    if until_at <= since_at:
        fail("--until must be after --since", 2)
    labels = label or settings.complaint_labels
    engine = get_engine(settings)
    with Session(engine) as session:
        table = trend_counts(session, settings.tz, since=since_at, until=until_at, by=by, labels=labels, sources=source)  # type: ignore[arg-type]
        recorded = events_between(session, since_at, until_at)
        events = [(event.at, event_name(event.kind, event.title)) for event in recorded]
    bands = adjusted_bands(engine, settings, table, labels) if adjusted else None
    _print(table, labels, output_format, settings.display_name, bands)
    if plot is not None:
        from pantau.reports.trend_plot import plot_trends

        plot_series = {label: (band.values, band.low, band.high) for label, (band, _) in (bands or {}).items()}
        markers = [(moment, text) for moment, text in events if since_at <= moment < until_at]
        plot_trends(table, settings.display_name, plot, markers=markers, bands=plot_series)
        typer.echo(f"chart written to {plot}", err=True)


def adjusted_bands(
    engine: Engine, settings: Settings, table: TrendTable, labels: list[str]
) -> dict[str, tuple[AdjustedSeries, LabelQuality | None]]:
    quality = current_quality(engine, settings)
    if quality is None:
        fail("--adjusted needs the current model's test-split metrics (pantau.json metrics.test), and there are none")
    return {
        label: (adjust(table.series[label], quality.labels.get(label)), quality.labels.get(label)) for label in labels
    }


def _print(table: TrendTable, labels: list[str], output_format: str, display_name, bands=None) -> None:  # type: ignore[no-untyped-def]
    if output_format == "json":
        document = {
            "by": table.by,
            "since": table.since.isoformat(),
            "until": table.until.isoformat(),
            "buckets": [bucket.isoformat() for bucket in table.buckets],
            "series": {label: table.series[label] for label in labels},
            "display_names": {label: display_name(label) for label in labels},
            "model_versions": table.model_versions,
        }
        if bands is not None:
            document["adjusted"] = {
                label: {
                    "values": band.values,
                    "low": band.low,
                    "high": band.high,
                    **(quality.as_dict() if quality else {}),
                }
                for label, (band, quality) in bands.items()
            }
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return
    rows = [
        [_bucket_text(bucket, table.by), *(table.series[label][index] for label in labels)]
        for index, bucket in enumerate(table.buckets)
    ]
    if output_format == "csv":
        header = ["bucket", *labels]
        if bands is not None:
            header += [f"{label}_{part}" for label in labels for part in ("adjusted", "low", "high")]
            for index, row in enumerate(rows):
                row += [getattr(bands[label][0], part)[index] for label in labels for part in ("values", "low", "high")]
        write_csv(sys.stdout, header, rows)
        return
    grid = Table(title=f"Keluhan per {table.by}", show_footer=True)
    grid.add_column("bucket", footer="total")
    for label in labels:
        grid.add_column(display_name(label), justify="right", footer=str(table.total(label)))
    for index, row in enumerate(rows):
        cells = [str(cell) for cell in row]
        if bands is not None:
            cells[1:] = [_with_band(cells[1 + j], bands[label][0], index) for j, label in enumerate(labels)]
        grid.add_row(*cells)
    out.print(grid)
    if bands is not None:
        out.print(_quality_line(bands, display_name), markup=False)
    versions = ", ".join(f"{version}: {count}" for version, count in sorted(table.model_versions.items()))
    out.print(f"model versions behind these counts: {versions or 'none'}", markup=False)


def _with_band(raw: str, band: AdjustedSeries, index: int) -> str:
    value = band.values[index]
    return raw if value is None else f"{raw} → {value:g} ({band.low[index]:g}–{band.high[index]:g})"


def _quality_line(bands, display_name) -> str:  # type: ignore[no-untyped-def]
    parts = []
    for label, (_, quality) in bands.items():
        if quality is None or quality.factor is None:
            parts.append(f"{display_name(label)}: no basis")
            continue
        pooled = f", +{quality.corrections} corrections" if quality.corrections else ""
        parts.append(
            f"{display_name(label)}: P {quality.precision:.2f} R {quality.recall:.2f} × {quality.factor:.2f}{pooled}"
        )
    return "adjusted = count × precision / recall (interval from the test split): " + "; ".join(parts)


def register(app: typer.Typer) -> None:
    app.command("trends")(trends_command)
