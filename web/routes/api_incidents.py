"""JSON API for incidents (list, detail, ticket, triage actions) and the service timeline (events)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from sqlmodel import Session

from pantau.core.config import Settings
from pantau.reports.incident_actions import (
    IncidentError,
    acknowledge_incident,
    merge_incidents,
    resolve_incident,
    split_incident,
)
from pantau.reports.incident_view import view_incident
from pantau.storage.incidents import get_incident, linked_alerts, list_incidents, member_posts
from pantau.storage.models import Incident
from pantau.storage.service_events import EventError, add_event, events_between, remove_event
from pantau.web.auth import CurrentUser, api_role, api_user, get_db
from pantau.web.incident_presenters import event_out, incident_out, incident_post_out
from pantau.web.incident_schemas import EventIn, EventOut, IncidentDetailOut, IncidentOut, MergeIn, SplitIn

router = APIRouter(prefix="/api", tags=["incidents"])
IncidentId = Annotated[int, Path(ge=1, le=2**31 - 1)]
DETAIL_POSTS = 200
Status = Literal["open", "acknowledged", "resolved", "merged"]


def _now() -> datetime:
    return datetime.now(UTC)


def _load(db: Session, incident_id: int) -> Incident:
    incident = get_incident(db, incident_id)
    if incident is None:
        raise HTTPException(404, f"incident {incident_id} does not exist")
    return incident


def incident_detail(db: Session, settings: Settings, incident: Incident, now: datetime) -> IncidentDetailOut:
    base = incident_out(view_incident(db, settings, incident, now), now)
    posts = member_posts(db, incident.id, limit=DETAIL_POSTS)  # type: ignore[arg-type]
    return IncidentDetailOut(
        **base.model_dump(),
        alert_ids=[alert.id for alert in linked_alerts(db, incident.id)],  # type: ignore[misc, arg-type]
        posts=[incident_post_out(settings, post, incident.label, now) for post in posts],
    )


@router.get("/incidents", response_model=list[IncidentOut], summary="Incidents, most recent activity first")
def incidents(
    request: Request,
    status: Annotated[list[Status], Query(description="Default: open and acknowledged.")] = [],  # noqa: B006
    label: Annotated[list[str], Query(description="Issue type key (repeatable).")] = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    _user: CurrentUser = Depends(api_user),
    db: Session = Depends(get_db),
) -> list[IncidentOut]:
    settings = request.app.state.settings
    unknown = [key for key in label if key not in settings.label_keys]
    if unknown:
        raise HTTPException(422, f"unknown issue type(s): {', '.join(unknown)}")
    now = _now()
    found = list_incidents(db, statuses=status or ("open", "acknowledged"), labels=label, limit=limit)
    return [incident_out(view_incident(db, settings, incident, now), now) for incident in found]


@router.get("/incidents/{incident_id}", response_model=IncidentDetailOut, summary="One incident with its posts")
def incident(
    request: Request, incident_id: IncidentId, _user: CurrentUser = Depends(api_user), db: Session = Depends(get_db)
) -> IncidentDetailOut:
    return incident_detail(db, request.app.state.settings, _load(db, incident_id), _now())


@router.get("/incidents/{incident_id}/ticket", summary="The incident as a ticket (docs/incident-ticket.schema.json)")
def ticket(
    request: Request, incident_id: IncidentId, _user: CurrentUser = Depends(api_user), db: Session = Depends(get_db)
) -> dict[str, Any]:
    from pantau.reports.incident_ticket import incident_ticket

    return incident_ticket(db, request.app.state.settings, _load(db, incident_id), _now())


def _act(request: Request, db: Session, action: Callable[[Settings], Incident]) -> IncidentDetailOut:
    settings = request.app.state.settings
    try:
        changed = action(settings)
        db.commit()
    except IncidentError as exc:
        db.rollback()
        raise HTTPException(422, str(exc)) from None
    db.refresh(changed)
    return incident_detail(db, settings, changed, _now())


@router.post("/incidents/{incident_id}/ack", response_model=IncidentDetailOut, summary="Acknowledge (triager)")
def acknowledge(
    request: Request,
    incident_id: IncidentId,
    user: CurrentUser = Depends(api_role("triager")),
    db: Session = Depends(get_db),
) -> IncidentDetailOut:
    _load(db, incident_id)
    return _act(request, db, lambda settings: acknowledge_incident(db, settings, incident_id, user.username))


@router.post("/incidents/{incident_id}/resolve", response_model=IncidentDetailOut, summary="Resolve (triager)")
def resolve(
    request: Request,
    incident_id: IncidentId,
    user: CurrentUser = Depends(api_role("triager")),
    db: Session = Depends(get_db),
) -> IncidentDetailOut:
    _load(db, incident_id)
    return _act(request, db, lambda settings: resolve_incident(db, settings, incident_id, user.username))


@router.post("/incidents/merge", response_model=IncidentDetailOut, summary="Merge incidents into one (triager)")
def merge(
    request: Request, body: MergeIn, user: CurrentUser = Depends(api_role("triager")), db: Session = Depends(get_db)
) -> IncidentDetailOut:
    return _act(request, db, lambda settings: merge_incidents(db, settings, body.target, body.sources, user.username))


@router.post("/incidents/{incident_id}/split", response_model=IncidentDetailOut, summary="Split posts off (triager)")
def split(
    request: Request,
    incident_id: IncidentId,
    body: SplitIn,
    user: CurrentUser = Depends(api_role("triager")),
    db: Session = Depends(get_db),
) -> IncidentDetailOut:
    """Moves the posts into a new incident of the same type and returns the new incident."""
    _load(db, incident_id)
    return _act(
        request,
        db,
        lambda settings: split_incident(db, settings, incident_id, body.post_ids, user.username, title=body.title),
    )


@router.get("/events", response_model=list[EventOut], tags=["events"], summary="The service timeline")
def events(_user: CurrentUser = Depends(api_user), db: Session = Depends(get_db)) -> list[EventOut]:
    return [event_out(event) for event in events_between(db)]


def _moment(value: datetime, settings: Settings, name: str) -> datetime:
    if not 1900 <= value.year <= 2999:
        raise HTTPException(422, f"{name}: out of range")
    return value.replace(tzinfo=settings.tz) if value.tzinfo is None else value


@router.post("/events", response_model=EventOut, status_code=201, tags=["events"], summary="Record an event")
def create_event(
    request: Request, body: EventIn, user: CurrentUser = Depends(api_role("triager")), db: Session = Depends(get_db)
) -> EventOut:
    """Needs the triager role. Releases, known outages and maintenance windows appear on trend charts."""
    settings = request.app.state.settings
    start = _moment(body.at, settings, "at")
    end = _moment(body.ends_at, settings, "ends_at") if body.ends_at else None
    try:
        event = add_event(
            db,
            kind=body.kind,
            at=start,
            ends_at=end,
            title=body.title,
            description=body.description,
            created_by=user.username,
        )
        db.commit()
    except EventError as exc:
        db.rollback()
        raise HTTPException(422, str(exc)) from None
    db.refresh(event)
    return event_out(event)


@router.delete("/events/{event_id}", status_code=204, tags=["events"], summary="Remove an event (triager)")
def delete_event(
    event_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    _user: CurrentUser = Depends(api_role("triager")),
    db: Session = Depends(get_db),
) -> None:
    if not remove_event(db, event_id):
        raise HTTPException(404, f"event {event_id} does not exist")
    db.commit()
