"""The dashboard page: complaint trend chart, week against week, alerts, backlog, collection health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from pantau.web.auth import CurrentUser, get_db, page_user
from pantau.web.chart import SERIES_CLASSES, trend_svg
from pantau.web.dashboard_data import build_dashboard
from pantau.web.dashboard_extras import board_adjusted, event_markers
from pantau.web.i18n import translator
from pantau.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/dashboard")
def dashboard_page(
    request: Request,
    days: Annotated[int | None, Query(ge=14, le=366)] = None,
    _user: CurrentUser = Depends(page_user),
    db: Session = Depends(get_db),
) -> Response:
    settings = request.app.state.settings
    board = build_dashboard(db, settings, days=days)
    title = translator(settings.web.language)("trend_title")
    markers = event_markers(db, settings, board.trend)
    chart = trend_svg(board.trend, board.labels, settings.display_name, title, markers=markers)
    series_class = {label: f"s{index % SERIES_CLASSES}" for index, label in enumerate(board.labels)}
    context = {"board": board, "chart": chart, "series_class": series_class, "days": len(board.trend.buckets)}
    context |= {"markers": markers, "adjusted": board_adjusted(db, request.app.state.engine, settings, board)}
    return render(request, "dashboard.html", context)
