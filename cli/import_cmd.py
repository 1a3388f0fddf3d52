"""`pantau import`: load posts from a JSONL or CSV file."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from pantau.cli.common import err, fail, get_engine, get_settings, out
from pantau.pipeline.importer import count_lines, import_file

SHOWN_BAD_LINES = 20


def import_command(
    path: Path = typer.Argument(..., help="JSONL or CSV file with fields id, text, created_at, author, url."),
    source: str = typer.Option(..., "--source", "-s", help="Source name the posts are stored under."),
    file_format: str = typer.Option("auto", "--format", help="auto, jsonl or csv."),
    errors_file: Path | None = typer.Option(None, "--errors", help="Write every bad line number and reason here."),
    workers: int | None = typer.Option(
        None, "--workers", min=0, help="Processes parsing lines (default: one per spare core for big files; 0: none)."
    ),
    bulk: bool | None = typer.Option(
        None,
        "--bulk/--no-bulk",
        help="SQLite: rebuild the post indexes after the import instead of updating them per post "
        "(default: when the file has at least 50,000 lines and more lines than posts are stored).",
    ),
) -> None:
    """Import posts from a file; the same file imported twice stores each post once.

    Unknown fields are kept in the post's raw data. Bad lines are reported with their line numbers
    and skipped; the command then exits 1 after importing the good lines. Timestamps without a zone
    are read in the configured time zone.

    Example: pantau import exports/tweets.jsonl --source x_archive
    """
    if file_format not in {"auto", "jsonl", "csv"}:
        fail(f"unknown format {file_format!r}; use auto, jsonl or csv", 2)
    if not path.is_file():
        fail(f"{path}: file not found", 2)
    if not source.strip() or len(source) > 64:
        fail("--source must be a name of 1 to 64 characters", 2)
    settings = get_settings()
    engine = get_engine(settings)
    total = count_lines(path)
    with Progress(
        TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err
    ) as progress:
        task = progress.add_task("import", total=total or None)
        outcome = import_file(
            engine,
            settings,
            path,
            source,
            file_format=file_format,
            workers=workers,
            bulk=bulk,
            on_progress=lambda done: progress.update(task, completed=done),
        )
        progress.update(task, completed=total)
    for bad in outcome.bad_lines[:SHOWN_BAD_LINES]:
        err.print(f"{path}:{bad.line}: {bad.reason}", markup=False)
    if len(outcome.bad_lines) > SHOWN_BAD_LINES:
        err.print(f"... and {len(outcome.bad_lines) - SHOWN_BAD_LINES} more bad line(s)", markup=False)
    if errors_file is not None:
        errors_file.write_text("".join(f"{bad.line}\t{bad.reason}\n" for bad in outcome.bad_lines), encoding="utf-8")
    out.print(
        f"{path}: read {outcome.fetched} post(s): {outcome.inserted} new, {outcome.duplicates} already stored, "
        f"{len(outcome.bad_lines)} bad line(s) skipped (run {outcome.run_id})"
    )
    if outcome.bad_lines:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
