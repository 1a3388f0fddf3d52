"""Parse and prepare an import file on several cores; prepared pages come back in file order.

The main process reads raw lines and commits pages; worker processes decode JSON, validate records and
run the normalisation (clean, mask, language, hashes), which is most of an import's CPU time. At most
`2 x workers` chunks are in flight, so memory stays flat however large the file. Workers die with
their parent (PR_SET_PDEATHSIG on Linux), so a killed import leaves no orphans behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pantau.collector.file_import import BadLine, iter_raw_records, parse_jsonl_line, record_to_post
from pantau.collector.prepare import PreparedPage, prepare_page


@dataclass(slots=True)
class PreparedChunk:
    page: PreparedPage
    bad_lines: list[BadLine] = field(default_factory=list)
    last_line: int = 0


@dataclass(frozen=True, slots=True)
class ChunkOptions:
    source: str
    timezone: str
    keep_original_text: bool


def default_workers() -> int:
    """One worker per core, leaving one for the process that writes to the database (at least one)."""
    return max(1, min((os.cpu_count() or 1) - 1, 8))


def prepare_chunk(items: list[tuple[int, Any]], options: ChunkOptions) -> PreparedChunk:
    """Decode, validate and normalise one chunk of (line number, raw line or record) items."""
    tz = ZoneInfo(options.timezone)
    posts = []
    bad: list[BadLine] = []
    for number, item in items:
        record = parse_jsonl_line(number, item) if isinstance(item, bytes) else item
        if record is None:
            continue
        if isinstance(record, BadLine):
            bad.append(record)
            continue
        try:
            posts.append(record_to_post(record, tz))
        except ValueError as exc:
            bad.append(BadLine(number, str(exc)))
    page = prepare_page(options.source, posts, keep_original_text=options.keep_original_text)
    return PreparedChunk(page=page, bad_lines=bad, last_line=items[-1][0] if items else 0)


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the importing process dies (kill -9 included)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def prepared_chunks(
    path: Path,
    options: ChunkOptions,
    *,
    file_format: str = "auto",
    chunk_lines: int = 2000,
    workers: int = 0,
) -> Iterator[PreparedChunk]:
    """Prepared pages of the file in order; `workers` > 0 prepares them in that many processes."""
    items = iter_raw_records(path, file_format)
    chunks = iter(lambda: list(islice(items, chunk_lines)), [])
    if workers <= 0:
        for chunk in chunks:
            yield prepare_chunk(chunk, options)
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    pool = multiprocessing.get_context(method).Pool(workers, initializer=_die_with_parent)
    try:
        pending: deque[Any] = deque()
        for chunk in chunks:
            pending.append(pool.apply_async(prepare_chunk, (chunk, options)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
    finally:
        pool.terminate()
        pool.join()
