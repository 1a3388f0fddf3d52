"""A post's own SLA clocks for the queue rows, the post page and the API (docs/incidents-sla-timeline.md).

Each post's clocks start at its creation, by its own issue type (sla.targets, working hours in `timezone`):
acknowledged when its status leaves `new`, resolved when it becomes `resolved` or `dismissed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pantau.core.config import Settings
from pantau.reports.sla import Clock, clock_text, post_clocks, worst_state
from pantau.web.incident_presenters import clock_out, post_label
from pantau.web.incident_schemas import ClockOut
from pantau.web.schemas import PostSlaOut


@dataclass(frozen=True, slots=True)
class PostSla:
    label: str | None
    """The issue type whose target sets the clocks (None: not a complaint)."""
    acknowledge: Clock
    resolve: Clock
    state: str
    """The state that matters most: overdue, breached, running, met or none (reports.sla.worst_state)."""
    text: str
    """One line for people about the clock that is still running (else the resolve clock)."""

    @property
    def overdue(self) -> bool:
        return self.state == "overdue"

    def as_out(self, now: datetime) -> PostSlaOut:
        acknowledge: ClockOut = clock_out(self.acknowledge, now)
        resolve = clock_out(self.resolve, now)
        return PostSlaOut(label=self.label, state=self.state, text=self.text, acknowledge=acknowledge, resolve=resolve)


def post_sla(settings: Settings, post: Any, labels: Sequence[str], now: datetime) -> PostSla:
    """The clocks of a Post or QueueRow (created_at, status, triaged_at, corrected_labels, primary_label),
    `labels` its effective labels: the triager's first complaint label, else the model's primary, else the
    first complaint label among the effective ones."""
    complaints = set(settings.complaint_labels)
    fallback = next((label for label in labels if label in complaints), None)
    label: str | None = post_label(settings, post, fallback)  # type: ignore[arg-type]
    acknowledge, resolve = post_clocks(settings, post, label)
    pending = [clock for clock in (acknowledge, resolve) if clock.due_at is not None and clock.done_at is None]
    shown = pending[0] if pending else resolve if resolve.due_at is not None else acknowledge
    return PostSla(
        label=label,
        acknowledge=acknowledge,
        resolve=resolve,
        state=worst_state((acknowledge, resolve), now),
        text=clock_text(shown, now, settings.tz),
    )
