"""Queue filters from the query string, shared by the queue page, the JSON API and the CSV export."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import HTTPException, Query, Request

from pantau.storage.models import OPEN_TRIAGE_STATUSES, TRIAGE_STATUSES
from pantau.storage.queue import SORT_KEYS, QueueFilter, SortKey

DATE_PATTERN = r"^$|^\d{4}-\d{2}-\d{2}$"
CONFIDENCE_PATTERN = r"^$|^(0(\.\d{1,6})?|1(\.0{1,6})?|\.\d{1,6})$"
STATUS_CHOICES = ("open", "all", *TRIAGE_STATUSES)


def clean_text(value: str) -> str:
    """Reject what no database column can hold (NUL, lone surrogates); used for every free-text input."""
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode") from None
    return value


@dataclass(slots=True)
class QueueQuery:
    filters: QueueFilter
    sort: SortKey
    cursor: str | None
    limit: int
    params: list[tuple[str, str]]
    """The filter and sort as given, without the cursor: for links to the next page, the CSV, the detail."""

    @property
    def query_string(self) -> str:
        return urlencode(self.params)

    def with_cursor(self, cursor: str) -> str:
        return urlencode([*self.params, ("cursor", cursor)])


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is None or not 1900 <= day.year <= 2999:
        raise HTTPException(422, f"{name} must be a date YYYY-MM-DD between 1900 and 2999")
    return day


def _confidence(value: str | None) -> float | None:
    if not value:
        return None
    number = float(value)
    return number if math.isfinite(number) and 0 <= number <= 1 else None


def _text(value: str | None, name: str) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return clean_text(value.strip())
    except ValueError as exc:
        raise HTTPException(422, f"{name}: {exc}") from None


def queue_query(
    request: Request,
    label: Annotated[list[str], Query(description="Issue type key (repeatable); matches effective labels.")] = [],  # noqa: B006
    status: Annotated[
        list[str], Query(description="open (new, acknowledged, in_progress), all, or a status (repeatable).")
    ] = ["open"],  # noqa: B006
    source: Annotated[list[str], Query(description="Source name (repeatable).")] = [],  # noqa: B006
    since: Annotated[str | None, Query(description="First day, YYYY-MM-DD, local time.", pattern=DATE_PATTERN)] = None,
    until: Annotated[str | None, Query(description="Last day (inclusive), YYYY-MM-DD.", pattern=DATE_PATTERN)] = None,
    review: Annotated[str | None, Query(description="yes: only needs_review; no: only confident.")] = None,
    min_conf: Annotated[str | None, Query(description="Lowest confidence, 0-1.", pattern=CONFIDENCE_PATTERN)] = None,
    max_conf: Annotated[str | None, Query(description="Highest confidence, 0-1.", pattern=CONFIDENCE_PATTERN)] = None,
    q: Annotated[str | None, Query(description="Text in the redacted post (case-insensitive).", max_length=200)] = None,
    assignee: Annotated[str | None, Query(description="Only posts assigned to this person.", max_length=128)] = None,
    sort: Annotated[str, Query(description="newest or least_confident (or a registered sort key).")] = "newest",
    cursor: Annotated[str | None, Query(description="next_cursor from the previous page.", max_length=512)] = None,
    limit: Annotated[int | None, Query(ge=1, le=500, description="Rows per page; default web.page_size.")] = None,
) -> QueueQuery:
    settings = request.app.state.settings
    unknown = [key for key in label if key not in settings.label_keys]
    if unknown:
        raise HTTPException(422, f"unknown issue type(s): {', '.join(unknown)}")
    wrong = [name for name in status if name not in STATUS_CHOICES]
    if wrong:
        raise HTTPException(422, f"status must be one of {', '.join(STATUS_CHOICES)}")
    if sort not in SORT_KEYS:
        raise HTTPException(422, f"sort must be one of {', '.join(SORT_KEYS)}")
    if review not in (None, "", "yes", "no", "any"):
        raise HTTPException(422, "review must be yes, no or any")
    statuses: list[str] = []
    if "all" not in status:
        for name in status or ["open"]:
            statuses.extend(OPEN_TRIAGE_STATUSES if name == "open" else [name])
    first_day, last_day = _date(since, "since"), _date(until, "until")
    tz = settings.tz
    filters = QueueFilter(
        labels=list(dict.fromkeys(label)),
        statuses=list(dict.fromkeys(statuses)),
        sources=[name for name in (_text(value, "source") for value in source) if name],
        since=datetime.combine(first_day, time(0), tz) if first_day else None,
        until=datetime.combine(last_day + timedelta(days=1), time(0), tz) if last_day else None,
        needs_review={"yes": True, "no": False}.get(review or ""),
        min_confidence=_confidence(min_conf),
        max_confidence=_confidence(max_conf),
        text=_text(q, "q"),
        assignee=_text(assignee, "assignee"),
    )
    params = [("label", key) for key in filters.labels]
    params += [("status", name) for name in status]
    params += [("source", name) for name in filters.sources]
    extra = {"since": since, "until": until, "review": review, "min_conf": min_conf, "max_conf": max_conf}
    extra.update({"q": filters.text, "assignee": filters.assignee, "sort": sort})
    params += [(key, value) for key, value in extra.items() if value]
    if limit is not None:
        params.append(("limit", str(limit)))
    return QueueQuery(
        filters=filters,
        sort=SORT_KEYS[sort],
        cursor=_text(cursor, "cursor"),
        limit=limit or settings.web.page_size,
        params=params,
    )
