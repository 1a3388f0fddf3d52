"""The triage queue page and its bulk actions (set status / assignee for the selected posts)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from pantau.storage.models import TRIAGE_STATUSES
from pantau.storage.queue import SORT_KEYS, CursorError, list_queue
from pantau.storage.triage import TriageChange, TriageError, apply_bulk
from pantau.web.auth import CurrentUser, form_csrf, get_db, page_role, page_user
from pantau.web.i18n import translator
from pantau.web.incident_i18n import incident_translator
from pantau.web.params import QueueQuery, queue_query
from pantau.web.post_sla import post_sla
from pantau.web.taxonomy import taxonomy_of
from pantau.web.templating import render

router = APIRouter(include_in_schema=False)
FLASH_KEYS = {"changed", "saved", "error"}


def clean_back(query: str) -> str:
    """A queue query string from a form, re-encoded, without flash messages."""
    pairs = [(key, value) for key, value in parse_qsl(query[:4096], keep_blank_values=False) if key not in FLASH_KEYS]
    return urlencode(pairs)


@router.get("/queue")
def queue_page(
    request: Request,
    query: QueueQuery = Depends(queue_query),
    user: CurrentUser = Depends(page_user),
    db: Session = Depends(get_db),
) -> Response:
    try:
        page = list_queue(db, query.filters, sort=query.sort, cursor=query.cursor, limit=query.limit)
    except CursorError as exc:
        raise HTTPException(422, str(exc)) from None
    settings = request.app.state.settings
    translate = translator(settings.web.language)
    now = datetime.now(UTC)
    here = query.with_cursor(query.cursor) if query.cursor else query.query_string
    context = {
        "page": page,
        "query": query,
        "back": here,
        "sources": [source.name for source in settings.sources],
        "sort_keys": SORT_KEYS,
        "selected_statuses": request.query_params.getlist("status") or ["open"],
        "flash_changed": request.query_params.get("changed"),
        "flash_error": request.query_params.get("error"),
        "can_triage": user.has_role("triager"),
        "status_names": {name: translate(name) for name in TRIAGE_STATUSES},
        "slas": {row.id: post_sla(settings, row, row.labels, now) for row in page.rows},
        "ti": incident_translator(settings.web.language),
    }
    return render(request, "queue.html", context)


@router.post("/queue/bulk", dependencies=[Depends(form_csrf)])
def bulk_action(
    request: Request,
    ids: Annotated[list[int], Form()] = [],  # noqa: B006
    status: Annotated[str, Form(max_length=32)] = "",
    assignee: Annotated[str | None, Form(max_length=128)] = None,
    one: Annotated[str, Form(max_length=64)] = "",
    back: Annotated[str, Form(max_length=4096)] = "",
    user: CurrentUser = Depends(page_role("triager")),
    db: Session = Depends(get_db),
) -> Response:
    if one:
        post_id, _, status = one.partition(":")
        ids = [int(post_id)] if post_id.isdigit() else []
        assignee = None
    # An empty assignee box leaves assignees alone; "-" clears them.
    new_assignee = None if not assignee else ("" if assignee.strip() == "-" else assignee)
    change = TriageChange(status=status or None, assignee=new_assignee)
    query = clean_back(back)
    taxonomy = taxonomy_of(request.app.state.settings)
    try:
        changed = apply_bulk(db, [post_id for post_id in ids if 0 < post_id < 2**31], user.username, change, taxonomy)
        db.commit()
        flash = urlencode({"changed": changed})
    except TriageError as exc:
        db.rollback()
        flash = urlencode({"error": str(exc)})
    return RedirectResponse(f"/queue?{query}&{flash}" if query else f"/queue?{flash}", status_code=303)
