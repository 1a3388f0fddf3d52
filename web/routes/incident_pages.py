"""Incident pages: the queue of incidents (clocks, overdue flags, merge), one incident with its posts
(split, acknowledge, resolve, ticket export) and the service timeline with its form."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from pantau.core.config import Settings
from pantau.core.timeutil import parse_timestamp
from pantau.reports.incident_actions import (
    IncidentError,
    acknowledge_incident,
    merge_incidents,
    resolve_incident,
    split_incident,
)
from pantau.reports.incident_view import view_incident
from pantau.reports.sla import clock_text, post_clocks
from pantau.storage.incidents import INCIDENT_STATUSES, get_incident, linked_alerts, list_incidents, member_posts
from pantau.storage.models import Incident
from pantau.storage.service_events import EVENT_KINDS, EventError, add_event, events_between, remove_event
from pantau.web.auth import CurrentUser, form_csrf, get_db, page_role, page_user
from pantau.web.incident_i18n import incident_translator
from pantau.web.incident_presenters import post_label
from pantau.web.params import clean_text
from pantau.web.templating import render

router = APIRouter(include_in_schema=False)
IncidentId = Annotated[int, Path(ge=1, le=2**31 - 1)]
PAGE_POSTS = 200


def _context(request: Request, user: CurrentUser, **values: object) -> dict[str, object]:
    settings: Settings = request.app.state.settings
    now = datetime.now(UTC)
    return {
        "ti": incident_translator(settings.web.language),
        "now": now,
        "clock": lambda clock: clock_text(clock, now, settings.tz),
        "can_triage": user.has_role("triager"),
        "saved": request.query_params.get("saved"),
        "error": request.query_params.get("error"),
        **values,
    }


def _load(db: Session, incident_id: int) -> Incident:
    incident = get_incident(db, incident_id)
    if incident is None:
        raise HTTPException(404, f"incident {incident_id} does not exist")
    return incident


@router.get("/incidents")
def incidents_page(
    request: Request,
    status: Annotated[str, Query(max_length=16)] = "active",
    label: Annotated[str, Query(max_length=64)] = "",
    user: CurrentUser = Depends(page_user),
    db: Session = Depends(get_db),
) -> Response:
    settings: Settings = request.app.state.settings
    statuses = ("open", "acknowledged") if status == "active" else ((status,) if status in INCIDENT_STATUSES else ())
    labels = [label] if label in settings.label_keys else []
    now = datetime.now(UTC)
    found = list_incidents(db, statuses=statuses or INCIDENT_STATUSES, labels=labels, limit=200)
    views = [view_incident(db, settings, incident, now) for incident in found]
    views.sort(key=lambda view: (view.sla_state != "overdue", -view.incident.last_seen.timestamp()))
    context = _context(request, user, views=views, status=status, label=label, statuses=INCIDENT_STATUSES)
    return render(request, "incidents.html", context)


@router.get("/incidents/{incident_id}")
def incident_page(
    request: Request, incident_id: IncidentId, user: CurrentUser = Depends(page_user), db: Session = Depends(get_db)
) -> Response:
    settings: Settings = request.app.state.settings
    incident = _load(db, incident_id)
    now = datetime.now(UTC)
    posts = member_posts(db, incident_id, limit=PAGE_POSTS)
    rows = [(post, post_clocks(settings, post, post_label(settings, post, incident.label))) for post in posts]
    context = _context(
        request,
        user,
        view=view_incident(db, settings, incident, now),
        rows=rows,
        alerts=linked_alerts(db, incident_id),
        history=list(reversed((incident.details or {}).get("history", [])))[:20],
    )
    return render(request, "incident.html", context)


def _after(target: str, error: str | None) -> Response:
    flash = urlencode({"error": error} if error else {"saved": "1"})
    return RedirectResponse(f"{target}?{flash}", status_code=303)


def _apply(db: Session, request: Request, action: Callable[[Settings], Incident]) -> tuple[Incident | None, str | None]:
    try:
        changed = action(request.app.state.settings)
        db.commit()
    except IncidentError as exc:
        db.rollback()
        return None, str(exc)
    return changed, None


@router.post("/incidents/{incident_id}/ack", dependencies=[Depends(form_csrf)])
def acknowledge(
    request: Request,
    incident_id: IncidentId,
    user: CurrentUser = Depends(page_role("triager")),
    db: Session = Depends(get_db),
) -> Response:
    _, error = _apply(db, request, lambda settings: acknowledge_incident(db, settings, incident_id, user.username))
    return _after(f"/incidents/{incident_id}", error)


@router.post("/incidents/{incident_id}/resolve", dependencies=[Depends(form_csrf)])
def resolve(
    request: Request,
    incident_id: IncidentId,
    user: CurrentUser = Depends(page_role("triager")),
    db: Session = Depends(get_db),
) -> Response:
    _, error = _apply(db, request, lambda settings: resolve_incident(db, settings, incident_id, user.username))
    return _after(f"/incidents/{incident_id}", error)


@router.post("/incidents/merge", dependencies=[Depends(form_csrf)])
def merge(
    request: Request,
    target: Annotated[int, Form(ge=1, le=2**31 - 1)],
    ids: Annotated[list[int], Form()] = [],  # noqa: B006
    user: CurrentUser = Depends(page_role("triager")),
    db: Session = Depends(get_db),
) -> Response:
    sources = [incident_id for incident_id in ids if incident_id != target and 0 < incident_id < 2**31]
    changed, error = _apply(db, request, lambda settings: merge_incidents(db, settings, target, sources, user.username))
    return _after(f"/incidents/{changed.id}" if changed else "/incidents", error)


@router.post("/incidents/{incident_id}/split", dependencies=[Depends(form_csrf)])
def split(
    request: Request,
    incident_id: IncidentId,
    post_ids: Annotated[list[int], Form()] = [],  # noqa: B006
    title: Annotated[str, Form(max_length=300)] = "",
    user: CurrentUser = Depends(page_role("triager")),
    db: Session = Depends(get_db),
) -> Response:
    wanted = [post_id for post_id in post_ids if 0 < post_id < 2**31]
    name = _form_text(title) or None
    changed, error = _apply(
        db, request, lambda settings: split_incident(db, settings, incident_id, wanted, user.username, title=name)
    )
    return _after(f"/incidents/{changed.id}" if changed else f"/incidents/{incident_id}", error)


@router.get("/incidents/{incident_id}/ticket.json")
def ticket_json(
    request: Request, incident_id: IncidentId, _user: CurrentUser = Depends(page_user), db: Session = Depends(get_db)
) -> Response:
    import json

    from pantau.reports.incident_ticket import incident_ticket

    document = incident_ticket(db, request.app.state.settings, _load(db, incident_id), datetime.now(UTC))
    headers = {"Content-Disposition": f'attachment; filename="incident-{incident_id}.json"'}
    body = json.dumps(document, ensure_ascii=False, indent=2)
    return Response(body, media_type="application/json; charset=utf-8", headers=headers)


@router.get("/incidents/{incident_id}/ticket.eml")
def ticket_email(
    request: Request, incident_id: IncidentId, _user: CurrentUser = Depends(page_user), db: Session = Depends(get_db)
) -> Response:
    from pantau.reports.incident_ticket import ticket_email as build

    message = build(request.app.state.settings, db, _load(db, incident_id), datetime.now(UTC))
    headers = {"Content-Disposition": f'attachment; filename="incident-{incident_id}.eml"'}
    return Response(message.as_bytes(policy=policy.SMTP), media_type="message/rfc822", headers=headers)


@router.get("/events")
def events_page(request: Request, user: CurrentUser = Depends(page_user), db: Session = Depends(get_db)) -> Response:
    context = _context(request, user, events=list(reversed(events_between(db))), kinds=EVENT_KINDS)
    return render(request, "events.html", context)


def _form_text(value: str) -> str:
    try:
        return clean_text(value).strip()
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


@router.post("/events", dependencies=[Depends(form_csrf)])
def create_event(
    request: Request,
    kind: Annotated[str, Form(max_length=16)],
    at: Annotated[str, Form(max_length=40)],
    title: Annotated[str, Form(max_length=200)],
    ends: Annotated[str, Form(max_length=40)] = "",
    description: Annotated[str, Form(max_length=4000)] = "",
    user: CurrentUser = Depends(page_role("triager")),
    db: Session = Depends(get_db),
) -> Response:
    settings: Settings = request.app.state.settings
    try:
        start = parse_timestamp(_form_text(at), settings.tz)
        end = parse_timestamp(_form_text(ends), settings.tz) if ends.strip() else None
        if not 1900 <= start.year <= 2999 or (end is not None and not 1900 <= end.year <= 2999):
            raise ValueError("the date is out of range")
        add_event(
            db,
            kind=kind,
            at=start,
            ends_at=end,
            title=_form_text(title),
            description=_form_text(description) or None,
            created_by=user.username,
        )
        db.commit()
    except (ValueError, EventError, OverflowError) as exc:
        db.rollback()
        return _after("/events", str(exc))
    return _after("/events", None)


@router.post("/events/{event_id}/delete", dependencies=[Depends(form_csrf)])
def delete_event(
    event_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    _user: CurrentUser = Depends(page_role("triager")),
    db: Session = Depends(get_db),
) -> Response:
    removed = remove_event(db, event_id)
    db.commit()
    return _after("/events", None if removed else f"event {event_id} does not exist")
