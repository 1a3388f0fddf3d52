"""`pantau import`: a file streamed through the same normalisation and upsert path as every source."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from pantau.collector.file_import import BadLine, iter_pages
from pantau.collector.runner import finish_run, start_run, store_pages
from pantau.core.config import Settings
from pantau.storage.models import CollectionRun


@dataclass(slots=True)
class ImportOutcome:
    run_id: int | None
    fetched: int = 0
    inserted: int = 0
    duplicates: int = 0
    skipped: int = 0
    bad_lines: list[BadLine] = field(default_factory=list)
    status: str = "ok"
    error: str | None = None


def import_file(
    engine: Engine,
    settings: Settings,
    path: Path,
    source_name: str,
    *,
    file_format: str = "auto",
    page_size: int = 2000,
    on_progress: Callable[[int], None] | None = None,
) -> ImportOutcome:
    """Import valid lines in committed batches; rerunning the same file stores nothing twice."""
    run, _ = start_run(engine, source_name, "import")
    bad_lines: list[BadLine] = []
    status, error = "ok", None
    try:
        pages = iter_pages(path, settings.tz, file_format=file_format, page_size=page_size, bad_lines=bad_lines)
        store_pages(engine, settings, source_name, pages, run, on_page=_report(path, on_progress))
    except BaseException as exc:
        status, error = "failed", f"{type(exc).__name__}: {exc}".strip()
        finish_run(engine, run, status, error)
        raise
    if bad_lines:
        status = "partial"
        error = f"{len(bad_lines)} bad line(s); first at line {bad_lines[0].line}: {bad_lines[0].reason}"
    run.skipped += len(bad_lines)
    finish_run(engine, run, status, error)
    return ImportOutcome(
        run_id=run.id,
        fetched=run.fetched,
        inserted=run.inserted,
        duplicates=run.duplicates,
        skipped=run.skipped,
        bad_lines=bad_lines,
        status=status,
        error=error,
    )


def _report(path: Path, on_progress: Callable[[int], None] | None) -> Callable[[CollectionRun], None] | None:
    if on_progress is None:
        return None

    def after_page(run: CollectionRun) -> None:
        on_progress(run.fetched)

    return after_page
