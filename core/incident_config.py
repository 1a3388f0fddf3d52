"""Settings for incidents, SLA clocks and error-adjusted trends (the `incidents:`, `sla:` and `adjusted:` sections)."""

from __future__ import annotations

from datetime import date, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IncidentSettings(_Section):
    """How posts about the same problem are grouped (docs/incidents-sla-timeline.md)."""

    enabled: bool = True
    gap_hours: float = Field(default=6.0, gt=0, le=24 * 14)
    """A post joins an incident only within this many hours of its posts; a longer silence starts a new one."""
    min_posts: int = Field(default=3, ge=2, le=1000)
    """Similar posts needed before they become an incident of their own (a spike alert needs none)."""
    similarity: float = Field(default=0.5, gt=0, le=1)
    """Word-set Jaccard at or above this makes two posts of the same issue type "the same problem"."""
    simhash_distance: int = Field(default=3, ge=0, le=16)
    """SimHash bits two posts may differ by and still count as near-duplicates."""
    trend_hours: int = Field(default=3, ge=1, le=48)
    """The trend compares posts per hour in the last this-many hours with the rate before them."""
    title_chars: int = Field(default=100, ge=20, le=300)
    check_minutes: int = Field(default=5, ge=1, le=24 * 60)
    """How often the scheduler groups new posts and checks SLA clocks."""


class WorkingHours(_Section):
    start: time = time(8, 0)
    end: time = time(17, 0)
    days: list[Weekday] = ["mon", "tue", "wed", "thu", "fri"]
    holidays: list[date] = []

    @model_validator(mode="after")
    def _ordered(self) -> WorkingHours:
        if self.end <= self.start:
            raise ValueError("working_hours.end must be after working_hours.start")
        if not self.days:
            raise ValueError("working_hours.days must name at least one day")
        return self


class SlaTarget(_Section):
    acknowledge_minutes: int | None = Field(default=None, ge=1)
    resolve_minutes: int | None = Field(default=None, ge=1)
    working_hours: bool = True
    """False: this type's clocks run around the clock even when sla.working_hours is set."""


class EscalationSettings(_Section):
    recipients: list[str] = []
    """E-mail addresses of the escalation contact; empty means alerts.recipients."""
    webhook: bool = True
    """Also post escalations to the alert webhook (when webhook.enabled)."""
    webhook_url_env: str | None = None
    """An environment variable holding the contact's own webhook URL; used instead of the alert webhook."""


class SlaSettings(_Section):
    """Time to acknowledge and to resolve per issue type, in the configured time zone."""

    enabled: bool = True
    """False: no clocks and no escalations, whatever the targets say."""
    working_hours: WorkingHours | None = None
    """None: clocks run around the clock."""
    targets: dict[str, SlaTarget] = {}
    """Per taxonomy key; types without a target have no clock."""
    escalation: EscalationSettings = EscalationSettings()


class AdjustedSettings(_Section):
    """Counts adjusted for classifier error (reports/adjusted.py)."""

    min_corrections: int = Field(default=30, ge=1)
    """Reviewed posts involving a label needed before they are pooled with the test split."""
    interval: float = Field(default=0.9, gt=0.5, lt=1)
    samples: int = Field(default=4000, ge=200, le=200_000)
