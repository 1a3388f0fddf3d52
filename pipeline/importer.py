"""`pantau import`: a file streamed through the same normalisation and upsert path as every source."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from pantau.collector.file_import import BadLine
from pantau.collector.runner import commit_page, finish_run, start_run
from pantau.core.config import Settings
from pantau.pipeline.import_workers import ChunkOptions, default_workers, prepared_chunks
from pantau.storage.bulk_load import bulk_loading, finish_interrupted_load, worth_bulk_loading

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


def count_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            count += block.count(b"\n")
    return count


def import_file(
    engine: Engine,
    settings: Settings,
    path: Path,
    source_name: str,
    *,
    file_format: str = "auto",
    page_size: int = 2000,
    workers: int | None = None,
    bulk: bool | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ImportOutcome:
    """Import valid lines in committed batches; rerunning the same file stores nothing twice.

    Lines are parsed and normalised in `workers` processes (None: one per spare core for files over
    a few megabytes, else in-process); pages are committed here, in file order. `bulk` loads the posts
    with the post table's indexes dropped (storage/bulk_load.py); None decides by the file's and the
    table's sizes.
    """
    finish_interrupted_load(engine)
    run, _ = start_run(engine, source_name, "import")
    bad_lines: list[BadLine] = []
    status, error = "ok", None
    if workers is None:
        workers = default_workers() if path.stat().st_size >= MIN_BYTES_FOR_WORKERS else 0
    if bulk is None:
        bulk = engine.dialect.name == "sqlite" and worth_bulk_loading(engine, count_lines(path))
    options = ChunkOptions(source_name, settings.timezone, settings.privacy.keep_original_text)
    try:
        with bulk_loading(engine) if bulk else nullcontext() as load:
            chunks = prepared_chunks(path, options, file_format=file_format, chunk_lines=page_size, workers=workers)
            for chunk in chunks:
                bad_lines.extend(chunk.bad_lines)
                commit_page(engine, source_name, chunk.page, run, link_copies=load is None)
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
    details: dict[str, Any] = {}
    if load is not None:
        details["bulk_load"] = True
        if load.copies_linked:
            details["copies_linked"] = load.copies_linked
    finish_run(engine, run, status, error, details)
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
