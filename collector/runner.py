"""Run one source: record the run, commit page by page with its watermark, never stop other sources."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from pantau.collector.base import Page, RateLimited, Source, SourceContext, SourceError
from pantau.collector.near_duplicates import link_near_duplicates
from pantau.collector.prepare import PreparedPage, prepare_page
from pantau.core.config import Settings, SourceSettings
from pantau.storage.locks import exclusive
from pantau.storage.models import CollectionRun, SourceState, utcnow
from pantau.storage.posts import newest_external_ids, upsert_posts

log = logging.getLogger(__name__)

FOREIGN_RUN_STALE_AFTER = timedelta(hours=24)
"""A 'running' run started on another machine (or before runs recorded their process) counts as dead after this."""


@dataclass(slots=True)
class RunOutcome:
    source: str
    status: str
    fetched: int = 0
    inserted: int = 0
    duplicates: int = 0
    skipped: int = 0
    pages: int = 0
    error: str | None = None
    run_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.status in {"ok", "rate_limited", "busy"}


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def store_pages(
    engine: Engine,
    settings: Settings,
    source_name: str,
    pages: Iterable[Page],
    run: CollectionRun,
    *,
    drop_non_indonesian: bool = False,
    near_duplicates: bool = False,
    on_page: Callable[[CollectionRun], None] | None = None,
) -> None:
    """Commit each page's posts together with the source state it leaves behind.

    `near_duplicates` also links near-copies to their first occurrence (collection pages are small;
    bulk import leaves it off to keep its throughput).
    """
    keep_original = settings.privacy.keep_original_text
    for page in pages:
        prepared = prepare_page(
            source_name, page.posts, keep_original_text=keep_original, drop_non_indonesian=drop_non_indonesian
        )
        commit_page(
            engine,
            source_name,
            prepared,
            run,
            watermark=page.watermark,
            cursor=page.cursor,
            near_duplicates=near_duplicates,
        )
        if on_page is not None:
            on_page(run)


def commit_page(
    engine: Engine,
    source_name: str,
    prepared: PreparedPage,
    run: CollectionRun,
    *,
    watermark: str | None = None,
    cursor: dict[str, Any] | None = None,
    near_duplicates: bool = False,
    link_copies: bool = True,
) -> None:
    """Store a prepared page, the source state it leaves behind and the run's counts in one transaction."""
    for external_id, reason in prepared.failures:
        log.warning("%s: skipped post %s: %s", source_name, external_id, reason)
    with Session(engine) as session:
        result = upsert_posts(session, prepared.rows, link_copies=link_copies)
        counts = {"dropped_non_indonesian": prepared.dropped_non_indonesian, "copies_linked": result.linked_copies}
        if near_duplicates:
            counts["near_duplicates_linked"] = link_near_duplicates(session, result.inserted_ids)
        state = session.get(SourceState, source_name) or SourceState(source=source_name)
        if watermark is not None:
            state.watermark = watermark
        if cursor is not None:
            state.cursor = dict(cursor)
        state.updated_at = utcnow()
        session.add(state)
        run.fetched += prepared.fetched
        run.skipped += prepared.skipped
        run.inserted += result.inserted
        run.duplicates += result.duplicates
        run.pages += 1
        run.watermark_after = state.watermark
        if any(counts.values()):
            run.details = _add_counts(run.details, {key: value for key, value in counts.items() if value})
        session.add(run)
        session.commit()
        session.refresh(run)


def _add_counts(details: dict[str, Any] | None, counts: dict[str, int]) -> dict[str, Any]:
    """A new dict (JSON columns are saved only when reassigned) with `counts` added."""
    merged = dict(details or {})
    for key, value in counts.items():
        merged[key] = int(merged.get(key, 0)) + value
    return merged


def _this_process() -> dict[str, Any]:
    return {"host": socket.gethostname(), "pid": os.getpid()}


def _process_gone(process: Any, started_at: datetime, now: datetime) -> bool:
    """Whether the process that started a run can no longer be running it."""
    pid = process.get("pid") if isinstance(process, dict) else None
    if isinstance(pid, int) and process.get("host") == socket.gethostname():
        if pid == os.getpid():
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    started = started_at if started_at.tzinfo else started_at.replace(tzinfo=now.tzinfo)
    return now - started > FOREIGN_RUN_STALE_AFTER


def close_interrupted_runs(session: Session, source_name: str) -> int:
    """Mark runs of this source left 'running' by a process that died (kill -9, power loss) as failed.

    Such a run committed its pages up to the kill, so its counts are right; it only never got its end.
    """
    now = utcnow()
    stale = [
        run
        for run in session.execute(
            select(CollectionRun).where(CollectionRun.source == source_name, CollectionRun.status == "running")
        ).scalars()
        if _process_gone((run.details or {}).get("process"), run.started_at, now)
    ]
    for run in stale:
        run.status = "failed"
        run.finished_at = now
        run.error = "interrupted: the process stopped before the run finished (killed or crashed)"
        run.details = {**(run.details or {}), "interrupted": True}
        session.add(run)
        log.warning("run %s of %s was interrupted; marked failed", run.id, source_name)
    return len(stale)


def start_run(engine: Engine, source_name: str, source_type: str) -> tuple[CollectionRun, SourceContext]:
    """Record a new run (closing runs of this source that a dead process left open)."""
    with Session(engine) as session:
        close_interrupted_runs(session, source_name)
        state = session.get(SourceState, source_name)
        run = CollectionRun(
            source=source_name,
            source_type=source_type,
            watermark_before=state.watermark if state else None,
            watermark_after=state.watermark if state else None,
            details={"process": _this_process()},
        )
        session.add(run)
        session.commit()
        session.refresh(run)
        context = SourceContext(
            watermark=state.watermark if state else None,
            cursor=dict(state.cursor) if state else {},
            newest_external_ids=newest_external_ids(session, source_name),
        )
        session.expunge(run)
    return run, context


def finish_run(
    engine: Engine,
    run: CollectionRun,
    status: str,
    error: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    with Session(engine) as session:
        run = session.merge(run)
        run.status = status
        run.error = error
        if details:
            run.details = {**(run.details or {}), **details}
        run.finished_at = utcnow()
        state = session.get(SourceState, run.source) or SourceState(source=run.source)
        if status in {"ok", "rate_limited"}:
            state.last_success_at = run.finished_at
            state.consecutive_failures = 0
        else:
            state.last_failure_at = run.finished_at
            state.last_error = error
            state.consecutive_failures += 1
        session.add(state)
        session.commit()


def _source_details(source: Source | None) -> dict[str, Any]:
    """What the source reports about its run (requests, retries, rate-limit waits, API errors)."""
    try:
        details = getattr(source, "details", None)
        return dict(details) if isinstance(details, dict) else {}
    except Exception:
        log.exception("could not read the run details of a source")
        return {}


def collect_source(
    engine: Engine,
    settings: Settings,
    source_settings: SourceSettings,
    *,
    source: Source | None = None,
    on_page: Callable[[CollectionRun], None] | None = None,
) -> RunOutcome:
    """Collect from one source; any failure is recorded on its run and returned, never raised.

    While another process collects the same source this returns at once with status "busy".
    """
    name = source_settings.name
    try:
        with exclusive(engine, f"collect:{name}") as held:
            if not held:
                return RunOutcome(source=name, status="busy", error="another worker is collecting this source")
            return _collect_source(engine, settings, source_settings, source=source, on_page=on_page)
    except SQLAlchemyError as exc:
        error = f"database error: {_one_line(getattr(exc, 'orig', None) or exc)}"
        log.warning("source %s: %s", name, error)
        return RunOutcome(source=name, status="failed", error=error)


def _collect_source(
    engine: Engine,
    settings: Settings,
    source_settings: SourceSettings,
    *,
    source: Source | None,
    on_page: Callable[[CollectionRun], None] | None,
) -> RunOutcome:
    name = source_settings.name
    run, context = start_run(engine, name, source_settings.type)
    status, error = "ok", None
    try:
        if source is None:
            from pantau.collector.sources import build_source

            source = build_source(source_settings, settings)
        store_pages(
            engine,
            settings,
            name,
            source.fetch(context),
            run,
            drop_non_indonesian=source_settings.drop_non_indonesian,
            near_duplicates=True,
            on_page=on_page,
        )
    except RateLimited as exc:
        status, error = "rate_limited", str(exc)
    except SourceError as exc:
        status, error = "failed", str(exc)
    except SQLAlchemyError as exc:
        status, error = "failed", f"database error: {_one_line(getattr(exc, 'orig', None) or exc)}"
    except Exception as exc:
        log.exception("source %s crashed", name)
        status, error = "failed", _one_line(exc)
    if error:
        log.warning("source %s: %s", name, error)
    try:
        finish_run(engine, run, status, error, _source_details(source))
    except SQLAlchemyError:
        log.exception("could not record the end of run %s for %s", run.id, name)
    return RunOutcome(
        source=name,
        status=status,
        fetched=run.fetched,
        inserted=run.inserted,
        duplicates=run.duplicates,
        skipped=run.skipped,
        pages=run.pages,
        error=error,
        run_id=run.id,
    )
