"""JSON API for the queue: list (keyset pages), CSV export, detail, triage changes, bulk changes."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from pantau.reports.export import EXPORT_FIELDS
from pantau.reports.spreadsheet import neutralise
from pantau.storage.models import Post
from pantau.storage.queue import CursorError, QueueRow, iter_queue, list_queue
from pantau.storage.triage import TriageChange, TriageError, apply_bulk, apply_change
from pantau.web.auth import CurrentUser, api_role, api_user, get_db, may_see_original
from pantau.web.params import QueueQuery, queue_query
from pantau.web.presenters import detail, summary
from pantau.web.schemas import BulkResult, BulkUpdate, ChangeResult, PostDetail, PostPage, TriageUpdate
from pantau.web.taxonomy import taxonomy_of

router = APIRouter(prefix="/api", tags=["posts"])
PostId = Annotated[int, Path(ge=1, le=2**31 - 1)]
CSV_FIELDS = (*EXPORT_FIELDS, "needs_review", "assignee")


@router.get("/posts", response_model=PostPage, summary="A page of the triage queue")
def list_posts(
    request: Request,
    query: QueueQuery = Depends(queue_query),
    user: CurrentUser = Depends(api_user),
    db: Session = Depends(get_db),
) -> PostPage:
    """Filtered posts in queue order. Follow `next_cursor` for the next page (keyset pagination)."""
    original = may_see_original(request, user)
    try:
        page = list_queue(
            db, query.filters, sort=query.sort, cursor=query.cursor, limit=query.limit, with_original=original
        )
    except CursorError as exc:
        raise HTTPException(422, str(exc)) from None
    settings, now = request.app.state.settings, datetime.now(UTC)
    items = [summary(row, original=original, settings=settings, now=now) for row in page.rows]
    return PostPage(items=items, next_cursor=page.next_cursor, sort=query.sort.name)


def _csv_cells(row: QueueRow, original: bool) -> list[object]:
    values = {
        "id": row.id,
        "source": row.source,
        "external_id": row.external_id,
        "author": row.author,
        "url": row.url,
        "created_at": row.created_at.isoformat(),
        "text": (row.text or row.text_redacted) if original else row.text_redacted,
        "labels": ";".join(row.labels),
        "primary": row.primary_label,
        "confidence": "" if row.confidence is None else f"{row.confidence:.4f}",
        "status": row.status,
        "model_version": row.model_version,
        "needs_review": int(row.needs_review),
        "assignee": row.assignee,
    }
    return [neutralise(values[name]) for name in CSV_FIELDS]


@router.get(
    "/posts.csv",
    summary="The filtered queue as CSV",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "One row per post; formula-like cells neutralised."}},
)
def export_posts(
    request: Request,
    query: QueueQuery = Depends(queue_query),
    user: CurrentUser = Depends(api_user),
) -> StreamingResponse:
    """Every post matching the same filters as /api/posts (all pages, cursor ignored), streamed.

    Text is redacted unless an admin may see originals; cells that a spreadsheet would read as a
    formula (= + - @) are neutralised."""
    original = may_see_original(request, user)
    engine = request.app.state.engine

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_FIELDS)
        with Session(engine) as session:
            for row in iter_queue(session, query.filters, sort=query.sort, with_original=original):
                writer.writerow(_csv_cells(row, original))
                if buffer.tell() > 64_000:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    headers = {"Content-Disposition": f'attachment; filename="pantau-posts-{stamp}.csv"'}
    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers=headers)


def _load(db: Session, post_id: int) -> Post:
    post = db.get(Post, post_id)
    if post is None:
        raise HTTPException(404, f"post {post_id} does not exist")
    return post


def _detail(request: Request, db: Session, post: Post, user: CurrentUser) -> PostDetail:
    original = may_see_original(request, user)
    return detail(db, post, original=original, settings=request.app.state.settings, now=datetime.now(UTC))


@router.get("/posts/{post_id}", response_model=PostDetail, summary="One post with scores, copies and history")
def get_post(
    request: Request, post_id: PostId, user: CurrentUser = Depends(api_user), db: Session = Depends(get_db)
) -> PostDetail:
    return _detail(request, db, _load(db, post_id), user)


@router.patch("/posts/{post_id}", response_model=ChangeResult, summary="Change status, assignee, note or labels")
def update_post(
    request: Request,
    post_id: PostId,
    update: TriageUpdate,
    user: CurrentUser = Depends(api_role("triager")),
    db: Session = Depends(get_db),
) -> ChangeResult:
    """Needs the triager role. Each changed field is recorded as a triage event; labels [] withdraws a correction."""
    post = _load(db, post_id)
    change = TriageChange(status=update.status, assignee=update.assignee, note=update.note, labels=update.labels)
    try:
        changed = apply_change(db, post, user.username, change, taxonomy_of(request.app.state.settings))
        db.commit()
    except TriageError as exc:
        db.rollback()
        raise HTTPException(422, str(exc)) from None
    db.refresh(post)
    return ChangeResult(changed=changed, post=_detail(request, db, post, user))


@router.post("/posts/bulk", response_model=BulkResult, summary="Set status and/or assignee of many posts")
def bulk_update(
    request: Request,
    update: BulkUpdate,
    user: CurrentUser = Depends(api_role("triager")),
    db: Session = Depends(get_db),
) -> BulkResult:
    change = TriageChange(status=update.status, assignee=update.assignee)
    try:
        changed = apply_bulk(db, update.ids, user.username, change, taxonomy_of(request.app.state.settings))
        db.commit()
    except TriageError as exc:
        db.rollback()
        raise HTTPException(422, str(exc)) from None
    return BulkResult(changed=changed)
