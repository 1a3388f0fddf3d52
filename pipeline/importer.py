"""`pantau import`: a file streamed through the same normalisation and upsert path as every source."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from pantau.collector.file_import import BadLine
from pantau.collector.runner import commit_page, finish_run, start_run
from pantau.core.config import Settings
from pantau.pipeline.import_workers import ChunkOptions, default_workers, prepared_chunks

MIN_BYTES_FOR_WORKERS = 4_000_000
"""About 25,000 posts: below that, starting worker processes costs more than it saves."""


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
    workers: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ImportOutcome:
    """Import valid lines in committed batches; rerunning the same file stores nothing twice.

    Lines are parsed and normalised in `workers` processes (None: one per spare core for files over
    a few megabytes, else in-process); pages are committed here, in file order.
    """
    run, _ = start_run(engine, source_name, "import")
    bad_lines: list[BadLine] = []
    status, error = "ok", None
    if workers is None:
        workers = default_workers() if path.stat().st_size >= MIN_BYTES_FOR_WORKERS else 0
    options = ChunkOptions(source_name, settings.timezone, settings.privacy.keep_original_text)
    try:
        for chunk in prepared_chunks(path, options, file_format=file_format, chunk_lines=page_size, workers=workers):
            bad_lines.extend(chunk.bad_lines)
            commit_page(engine, source_name, chunk.page, run)
            if on_progress is not None:
                on_progress(chunk.last_line)
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
