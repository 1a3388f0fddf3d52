"""JSON shapes of the API (they make the OpenAPI schema at /openapi.json)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from pantau.storage.models import TRIAGE_STATUSES
from pantau.storage.triage import MAX_ASSIGNEE_LENGTH, MAX_BULK, MAX_NOTE_LENGTH
from pantau.web.incident_schemas import ClockOut
from pantau.web.params import clean_text

Status = Literal[TRIAGE_STATUSES]  # type: ignore[valid-type]
CleanStr = Annotated[str, AfterValidator(clean_text)]


class PostSlaOut(BaseModel):
    """The post's own SLA clocks, from its creation, by its issue type (sla.targets; working hours in `timezone`)."""

    label: str | None = Field(description="The issue type whose target sets the clocks; null: not a complaint.")
    state: Literal["none", "running", "overdue", "met", "breached"] = Field(
        description="The state that matters most: overdue if either clock is past due and not done."
    )
    text: str = Field(description="One line about the clock still running, e.g. 'batas 12 Nov 09:34 · sisa 20 m'.")
    acknowledge: ClockOut
    resolve: ClockOut


class PostSummary(BaseModel):
    id: int
    source: str
    author: str | None
    author_name: str | None
    url: str | None = Field(description="As collected; not checked. Pages link it only when it is http(s).")
    created_at: datetime
    text: str = Field(description="The redacted text (NIK, phone numbers, e-mails masked).")
    text_original: str | None = Field(
        default=None, description="Unredacted text: admins only, and only when privacy.show_unredacted_to_admins."
    )
    labels: list[str] = Field(description="Effective labels: the triage correction if any, else the model's.")
    primary_label: str | None
    confidence: float | None
    needs_review: bool
    status: str
    assignee: str | None
    model_version: str | None
    corrected: bool
    sla: PostSlaOut


class PostPage(BaseModel):
    items: list[PostSummary]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page.")
    sort: str


class TriageEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    actor: str
    at: datetime
    field: str
    old_value: Any
    new_value: Any


class SimilarPost(BaseModel):
    id: int
    source: str
    created_at: datetime
    text: str
    status: str


class PostDetail(PostSummary):
    note: str | None
    corrected_labels: list[str] | None
    triaged_at: datetime | None
    triaged_by: str | None
    duplicate_of_id: int | None
    scores: dict[str, float] = Field(description="Per-label scores of the current classification.")
    classification_model_version: str | None
    similar: list[SimilarPost]
    history: list[TriageEventOut]


class TriageUpdate(BaseModel):
    """Fields left out stay as they are; an empty assignee or note clears it; labels [] withdraws the correction."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    assignee: Annotated[CleanStr, Field(max_length=MAX_ASSIGNEE_LENGTH)] | None = None
    note: Annotated[CleanStr, Field(max_length=MAX_NOTE_LENGTH)] | None = None
    labels: list[Annotated[CleanStr, Field(max_length=64)]] | None = Field(default=None, max_length=32)


class BulkUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(min_length=1, max_length=MAX_BULK)
    status: Status | None = None
    assignee: Annotated[CleanStr, Field(max_length=MAX_ASSIGNEE_LENGTH)] | None = None


class BulkResult(BaseModel):
    changed: int


class ChangeResult(BaseModel):
    changed: list[str]
    post: PostDetail


class TrendOut(BaseModel):
    by: str
    since: datetime
    until: datetime
    buckets: list[datetime]
    series: dict[str, list[int]]
    display_names: dict[str, str]
    model_versions: dict[str, int]


class WeekRowOut(BaseModel):
    label: str
    display_name: str
    this_week: int
    last_week: int
    change_pct: float | None


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    label: str
    opened_at: datetime
    updated_at: datetime
    observed: int
    expected: float
    score: float
    peak_observed: int


class BacklogOut(BaseModel):
    statuses: list[str]
    buckets: list[str]
    counts: dict[str, list[int]]


class SourceHealthOut(BaseModel):
    source: str
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    last_run_status: str | None
    last_run_started_at: datetime | None
    last_run_fetched: int | None
    last_run_inserted: int | None


class ModelOut(BaseModel):
    registered: str | None
    newest_post: str | None


class AdjustedRowOut(BaseModel):
    label: str
    display_name: str
    observed: int = Field(description="Posts with this label in the last 7 local days (today included): the raw count.")
    adjusted: float | None = Field(description="observed × precision ÷ recall of the current model; null: no metrics.")
    low: float | None = Field(description="Lower end of the interval (adjusted.interval, 90% by default).")
    high: float | None
    precision: float | None
    recall: float | None
    corrections: int = Field(description="Triage-reviewed posts pooled with the test split (0 below the minimum).")


class AdjustedOut(BaseModel):
    model_version: str | None
    rows: list[AdjustedRowOut]


class DashboardOut(BaseModel):
    generated_at: datetime
    trend: TrendOut
    week: list[WeekRowOut]
    adjusted: AdjustedOut | None = Field(
        description="This week's counts beside the counts adjusted for classifier error (`pantau trends --adjusted`); "
        "null when the current model has no test metrics."
    )
    alerts: list[AlertOut]
    backlog: BacklogOut
    health: list[SourceHealthOut]
    model: ModelOut


class LabelOut(BaseModel):
    key: str
    display_name: str
    description: str
    exclusive: bool


class MeOut(BaseModel):
    username: str
    role: str
    can_triage: bool
    can_see_original: bool


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    username: str
    role: str
    disabled: bool
    created_at: datetime
    has_token: bool


class HealthOut(BaseModel):
    status: str
    database: str
