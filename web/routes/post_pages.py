"""One post: its text, scores, copies and history; forms for status, assignee, note and labels."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from pantau.reports.sla import clock_text
from pantau.storage.models import Post
from pantau.storage.triage import TriageChange, TriageError, apply_change
from pantau.web.auth import CurrentUser, form_csrf, get_db, may_see_original, page_role, page_user
from pantau.web.incident_i18n import incident_translator
from pantau.web.params import clean_text
from pantau.web.post_sla import post_sla
from pantau.web.presenters import detail
from pantau.web.routes.queue_pages import clean_back
from pantau.web.taxonomy import taxonomy_of
from pantau.web.templating import render

router = APIRouter(include_in_schema=False)
PostId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _load(db: Session, post_id: int) -> Post:
    post = db.get(Post, post_id)
    if post is None:
        raise HTTPException(404, f"post {post_id} does not exist")
    return post


@router.get("/posts/{post_id}")
def post_page(
    request: Request, post_id: PostId, user: CurrentUser = Depends(page_user), db: Session = Depends(get_db)
) -> Response:
    post = _load(db, post_id)
    settings, now = request.app.state.settings, datetime.now(UTC)
    shown = detail(db, post, original=may_see_original(request, user), settings=settings, now=now)
    context = {
        "post": shown,
        "sla": post_sla(settings, post, shown.labels, now),
        "clock": lambda clock: clock_text(clock, now, settings.tz),
        "ti": incident_translator(settings.web.language),
        "back": clean_back(request.query_params.get("back", "")),
        "saved": request.query_params.get("saved"),
        "error": request.query_params.get("error"),
        "can_triage": user.has_role("triager"),
    }
    return render(request, "post.html", context)


def _after_change(post_id: int, back: str, after: str, error: str | None) -> Response:
    back = clean_back(back)
    if error is None and after == "queue":
        return RedirectResponse(f"/queue?{back}#post-{post_id}", status_code=303)
    flash = {"error": error} if error else {"saved": "1"}
    return RedirectResponse(f"/posts/{post_id}?{urlencode({'back': back, **flash})}", status_code=303)


def _apply(request: Request, db: Session, post: Post, actor: str, change: TriageChange) -> str | None:
    try:
        apply_change(db, post, actor, change, taxonomy_of(request.app.state.settings))
        db.commit()
    except TriageError as exc:
        db.rollback()
        return str(exc)
    return None


def _form_text(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return clean_text(value)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


@router.post("/posts/{post_id}/triage", dependencies=[Depends(form_csrf)])
def triage_post(
    request: Request,
    post_id: PostId,
    status: Annotated[str, Form(max_length=32)] = "",
    assignee: Annotated[str | None, Form(max_length=128)] = None,
    note: Annotated[str | None, Form(max_length=4000)] = None,
    back: Annotated[str, Form(max_length=4096)] = "",
    after: Annotated[str, Form(max_length=16)] = "stay",
    user: CurrentUser = Depends(page_role("triager")),
    db: Session = Depends(get_db),
) -> Response:
    post = _load(db, post_id)
    change = TriageChange(status=status or None, assignee=_form_text(assignee), note=_form_text(note))
    return _after_change(post_id, back, after, _apply(request, db, post, user.username, change))


@router.post("/posts/{post_id}/labels", dependencies=[Depends(form_csrf)])
def correct_labels(
    request: Request,
    post_id: PostId,
    labels: Annotated[list[str], Form()] = [],  # noqa: B006
    reset: Annotated[str, Form(max_length=8)] = "",
    back: Annotated[str, Form(max_length=4096)] = "",
    after: Annotated[str, Form(max_length=16)] = "stay",
    user: CurrentUser = Depends(page_role("triager")),
    db: Session = Depends(get_db),
) -> Response:
    post = _load(db, post_id)
    if not reset and not labels:
        return _after_change(post_id, back, "stay", "choose at least one label, or reset to the model's labels")
    change = TriageChange(labels=[] if reset else labels)
    return _after_change(post_id, back, after, _apply(request, db, post, user.username, change))
