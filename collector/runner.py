"""Run one source: record the run, commit page by page with its watermark, never stop other sources."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from pantau.collector.base import Page, RateLimited, Source, SourceContext, SourceError
from pantau.collector.near_duplicates import link_near_duplicates
from pantau.collector.prepare import prepare_post
from pantau.core.config import Settings, SourceSettings
from pantau.storage.models import CollectionRun, SourceState, utcnow
from pantau.storage.posts import newest_external_ids, upsert_posts

log = logging.getLogger(__name__)

KEPT_LANGUAGES = (None, "id", "ms")
"""With drop_non_indonesian, posts in these languages stay (None: too short to tell; Malay is close)."""


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
        return self.status in {"ok", "rate_limited"}


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
        rows = []
        dropped = 0
        for post in page.posts:
            try:
                row = prepare_post(source_name, post, keep_original_text=keep_original)
            except (ValueError, TypeError) as exc:
                run.skipped += 1
                log.warning("%s: skipped post %s: %s", source_name, post.external_id, exc)
                continue
            if drop_non_indonesian and row["lang"] not in KEPT_LANGUAGES:
                run.skipped += 1
                dropped += 1
                continue
            rows.append(row)
        with Session(engine) as session:
            result = upsert_posts(session, rows)
            counts = {"dropped_non_indonesian": dropped, "copies_linked": result.linked_copies}
            if near_duplicates:
                counts["near_duplicates_linked"] = link_near_duplicates(session, result.inserted_ids)
            state = session.get(SourceState, source_name) or SourceState(source=source_name)
            if page.watermark is not None:
                state.watermark = page.watermark
            if page.cursor is not None:
                state.cursor = dict(page.cursor)
            state.updated_at = utcnow()
            session.add(state)
            run.fetched += len(page.posts)
            run.inserted += result.inserted
            run.duplicates += result.duplicates
            run.pages += 1
            run.watermark_after = state.watermark
            if any(counts.values()):
                run.details = _add_counts(run.details, {key: value for key, value in counts.items() if value})
            session.add(run)
            session.commit()
            session.refresh(run)
        if on_page is not None:
            on_page(run)


def _add_counts(details: dict[str, Any] | None, counts: dict[str, int]) -> dict[str, Any]:
    """A new dict (JSON columns are saved only when reassigned) with `counts` added."""
    merged = dict(details or {})
    for key, value in counts.items():
        merged[key] = int(merged.get(key, 0)) + value
    return merged


def start_run(engine: Engine, source_name: str, source_type: str) -> tuple[CollectionRun, SourceContext]:
    with Session(engine) as session:
        state = session.get(SourceState, source_name)
        run = CollectionRun(
            source=source_name,
            source_type=source_type,
            watermark_before=state.watermark if state else None,
            watermark_after=state.watermark if state else None,
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
    """Collect from one source; any failure is recorded on its run and returned, never raised."""
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
