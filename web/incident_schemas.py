"""JSON shapes of the incident and service-timeline API (part of the OpenAPI schema at /openapi.json)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from pantau.storage.service_events import MAX_DESCRIPTION, MAX_TITLE
from pantau.web.params import clean_text

CleanStr = Annotated[str, AfterValidator(clean_text)]
IdInt = Annotated[int, Field(ge=1, le=2**31 - 1)]


class ClockOut(BaseModel):
    stage: Literal["acknowledge", "resolve"]
    due_at: datetime | None
    done_at: datetime | None
    state: Literal["none", "running", "overdue", "met", "breached"]
    remaining_minutes: int | None = Field(description="Minutes left (negative when overdue); null without a clock.")


class TrendOut(BaseModel):
    recent_per_hour: float
    earlier_per_hour: float
    direction: Literal["new", "rising", "steady", "falling", "quiet"]
    window_hours: int


class IncidentOut(BaseModel):
    id: int
    label: str
    display_name: str
    title: str
    status: Literal["open", "acknowledged", "resolved", "merged"]
    merged_into: int | None
    first_seen: datetime
    last_seen: datetime
    post_count: int
    trend: TrendOut
    sla_state: str
    acknowledge: ClockOut
    resolve: ClockOut
    escalated_at: datetime | None


class IncidentPostOut(BaseModel):
    id: int
    created_at: datetime
    source: str
    text: str = Field(description="Redacted text.")
    url: str | None
    status: str
    acknowledge: ClockOut
    resolve: ClockOut


class IncidentDetailOut(IncidentOut):
    alert_ids: list[int]
    posts: list[IncidentPostOut] = Field(description="The first 200 posts, oldest first.")


class MergeIn(BaseModel):
    target: IdInt
    sources: list[IdInt] = Field(min_length=1, max_length=100)


class SplitIn(BaseModel):
    post_ids: list[IdInt] = Field(min_length=1, max_length=5000)
    title: Annotated[CleanStr | None, Field(max_length=300)] = None


class EventIn(BaseModel):
    kind: Literal["release", "incident", "maintenance"]
    at: datetime = Field(description="Start; a time without offset is read in the configured time zone.")
    ends_at: datetime | None = None
    title: Annotated[CleanStr, Field(min_length=1, max_length=MAX_TITLE)]
    description: Annotated[CleanStr | None, Field(max_length=MAX_DESCRIPTION)] = None


class EventOut(BaseModel):
    id: int
    kind: str
    at: datetime
    ends_at: datetime | None
    title: str
    description: str | None
    created_by: str | None
