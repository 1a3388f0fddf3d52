"""JSON API for the dashboard, trends, the taxonomy, the caller and (admins) the user list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlmodel import Session

from pantau.core.timeutil import parse_date_or_relative
from pantau.reports.trends import trend_counts
from pantau.storage.users import list_users
from pantau.web.auth import CurrentUser, api_role, api_user, get_db, may_see_original
from pantau.web.dashboard_data import build_dashboard
from pantau.web.dashboard_extras import board_adjusted
from pantau.web.params import clean_text
from pantau.web.presenters import dashboard_out
from pantau.web.schemas import DashboardOut, LabelOut, MeOut, TrendOut, UserOut

router = APIRouter(prefix="/api", tags=["overview"])
MAX_BUCKETS = 2000


@router.get(
    "/dashboard", response_model=DashboardOut, summary="Everything the dashboard page shows, adjusted counts included"
)
def dashboard(
    request: Request,
    days: Annotated[
        int | None, Query(ge=14, le=366, description="Days in the chart; the last 14 make the week comparison.")
    ] = None,
    _user: CurrentUser = Depends(api_user),
    db: Session = Depends(get_db),
) -> DashboardOut:
    settings = request.app.state.settings
    board = build_dashboard(db, settings, days=days)
    adjusted = board_adjusted(db, request.app.state.engine, settings, board)
    return dashboard_out(board, settings.display_name, adjusted)


def _moment(value: str, name: str, tz) -> datetime:  # type: ignore[no-untyped-def]
    try:
        moment = parse_date_or_relative(clean_text(value), tz)
    except (ValueError, OverflowError):
        raise HTTPException(422, f"{name}: expected a date (2026-11-01), a timestamp, or 7d / 30d / 12w") from None
    if not 1900 <= moment.year <= 2999:
        raise HTTPException(422, f"{name}: out of range")
    return moment


@router.get("/trends", response_model=TrendOut, summary="Complaint counts per issue type over time")
def trends(
    request: Request,
    since: Annotated[str, Query(max_length=40, description="A date, timestamp, or 7d / 30d / 12w back.")] = "30d",
    until: Annotated[str | None, Query(max_length=40, description="End (exclusive); default now.")] = None,
    by: Literal["hour", "day", "week", "month"] = "day",
    label: Annotated[list[str], Query(description="Issue type key (repeatable); default all complaints.")] = [],  # noqa: B006
    source: Annotated[list[str], Query(description="Source name (repeatable).")] = [],  # noqa: B006
    _user: CurrentUser = Depends(api_user),
    db: Session = Depends(get_db),
) -> TrendOut:
    """The same numbers as `pantau trends --format json`: effective labels, triage corrections included."""
    settings = request.app.state.settings
    unknown = [key for key in label if key not in settings.label_keys]
    if unknown:
        raise HTTPException(422, f"unknown issue type(s): {', '.join(unknown)}")
    since_at = _moment(since, "since", settings.tz)
    until_at = _moment(until, "until", settings.tz) if until else datetime.now(UTC)
    if until_at <= since_at:
        raise HTTPException(422, "until must be after since")
    hours = (until_at - since_at).total_seconds() / 3600
    per_bucket = {"hour": 1, "day": 24, "week": 168, "month": 720}[by]
    if hours / per_bucket > MAX_BUCKETS:
        raise HTTPException(422, f"more than {MAX_BUCKETS} buckets; choose a coarser --by or a shorter span")
    labels = list(dict.fromkeys(label)) or settings.complaint_labels
    try:
        sources = [clean_text(name) for name in source]
    except ValueError as exc:
        raise HTTPException(422, f"source: {exc}") from None
    table = trend_counts(db, settings.tz, since=since_at, until=until_at, by=by, labels=labels, sources=sources)
    return TrendOut(
        by=table.by,
        since=table.since,
        until=table.until,
        buckets=table.buckets,
        series={key: table.series[key] for key in labels},
        display_names={key: settings.display_name(key) for key in labels},
        model_versions=table.model_versions,
    )


@router.get("/taxonomy", response_model=list[LabelOut], summary="Issue types with their display names")
def taxonomy(request: Request, _user: CurrentUser = Depends(api_user)) -> list[LabelOut]:
    return [
        LabelOut(key=label.key, display_name=label.display, description=label.description, exclusive=label.exclusive)
        for label in request.app.state.settings.taxonomy
    ]


@router.get("/me", response_model=MeOut, summary="Who the credentials belong to")
def me(request: Request, user: CurrentUser = Depends(api_user)) -> MeOut:
    return MeOut(
        username=user.username,
        role=user.role,
        can_triage=user.has_role("triager"),
        can_see_original=may_see_original(request, user),
    )


@router.get("/users", response_model=list[UserOut], summary="All accounts (admin)")
def users(_user: CurrentUser = Depends(api_role("admin")), db: Session = Depends(get_db)) -> list[UserOut]:
    return [
        UserOut(
            username=account.username,
            role=account.role,
            disabled=account.disabled,
            created_at=account.created_at,
            has_token=account.token_hash is not None,
        )
        for account in list_users(db)
    ]
