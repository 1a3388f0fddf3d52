"""The triage queue: filtered posts in a stable order, paged by keyset (never OFFSET) so depth costs nothing."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, exists, func, literal_column, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from pantau.core.timeutil import to_utc
from pantau.storage.models import Post, PostLabel
from pantau.storage.text_search import TextSearch, count_matches, plan_search, text_condition

CursorKind = Literal["datetime", "float", "int"]
PROBE_POSTS = 20_000
"""A common search with other filters is first tried on this many of the newest posts."""
DRIVE_MAX_ROWS = 250_000
"""Starting from the text index's matches reads them all: worth it up to this many (~190 ms on this CPU)."""
LABEL_ROW_COST = 2
"""Starting from the label filter's posts costs about twice as much per row (each post is read and tested)."""


class CursorError(ValueError):
    """The page cursor was not issued by this queue (or by another sort order)."""


@dataclass(frozen=True, slots=True)
class SortKey:
    """One queue order: a column (plus post id as tie-break) and a direction.

    `join` lets a key sort by a column of another table (e.g. an active-learning score table):
    it receives the query and returns it joined. Rows where the column is NULL are left out.
    """

    name: str
    column: Any
    descending: bool
    kind: CursorKind
    title: str
    join: Callable[[Select[Any]], Select[Any]] | None = None
    nullable: bool = False


SORT_KEYS: dict[str, SortKey] = {}


def register_sort(key: SortKey) -> None:
    """Add a queue order (the web app offers every registered key)."""
    SORT_KEYS[key.name] = key


register_sort(SortKey("newest", Post.created_at, descending=True, kind="datetime", title="Newest first"))
register_sort(
    SortKey(
        "least_confident", Post.confidence, descending=False, kind="float", title="Least confident first", nullable=True
    )
)
register_sort(
    SortKey(
        "worth_labelling",
        Post.label_priority,
        descending=True,
        kind="float",
        title="Worth labelling first (active learning)",
        nullable=True,
    )
)


@dataclass(slots=True)
class QueueFilter:
    labels: list[str] = field(default_factory=list)
    """Effective labels (triage correction, else the model's); a post matches if it has any of them."""
    statuses: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    needs_review: bool | None = None
    min_confidence: float | None = None
    max_confidence: float | None = None
    text: str | None = None
    """Substring of the redacted text, case-insensitive, taken literally (storage/text_search.py)."""
    assignee: str | None = None


@dataclass(slots=True)
class QueueRow:
    id: int
    source: str
    external_id: str
    author: str | None
    author_name: str | None
    url: str | None
    created_at: datetime
    text_redacted: str
    primary_label: str | None
    confidence: float | None
    needs_review: bool
    status: str
    assignee: str | None
    model_version: str | None
    triaged_at: datetime | None
    corrected_labels: list[str] | None
    text: str | None = None
    labels: list[str] = field(default_factory=list)
    corrected: bool = False
    """The labels come from a triager's correction (post_label.origin == 'triage')."""


@dataclass(slots=True)
class QueuePage:
    rows: list[QueueRow]
    next_cursor: str | None


_COLUMNS = (
    Post.id,
    Post.source,
    Post.external_id,
    Post.author,
    Post.author_name,
    Post.url,
    Post.created_at,
    Post.text_redacted,
    Post.primary_label,
    Post.confidence,
    Post.needs_review,
    Post.status,
    Post.assignee,
    Post.model_version,
    Post.triaged_at,
    Post.corrected_labels,
)


def _unindexed(attribute: Any) -> Any:
    """`+table.column`: the same value, but SQLite's planner will not use an index for it."""
    return literal_column(f"+{attribute.table.name}.{attribute.name}", type_=attribute.type)


def _apply_filters(
    query: Select[Any],
    filters: QueueFilter,
    dialect: str,
    sort_column: Any = None,
    search: TextSearch | None = None,
    *,
    drive_from_labels: bool = False,
) -> Select[Any]:
    """`search` is the plan for filters.text (plan_search); without one the text is matched row by row.
    `drive_from_labels` (SQLite) writes the label filter as `post.id IN (posts with the labels)`, which the
    planner reads first, rather than a test on each post."""

    def column(attribute: Any) -> Any:
        # On SQLite, `+post.status` keeps the planner off every index but the sort column's: without
        # statistics it would otherwise pick e.g. (status, created_at) and sort all open posts for one page.
        if dialect != "sqlite" or attribute is sort_column:
            return attribute
        return _unindexed(attribute)

    conditions: list[ColumnElement[bool]] = []
    if filters.labels and drive_from_labels:
        conditions.append(Post.id.in_(select(PostLabel.post_id).where(PostLabel.label.in_(filters.labels))))
    elif filters.labels:
        conditions.append(exists().where(PostLabel.post_id == Post.id, PostLabel.label.in_(filters.labels)))
    if filters.statuses:
        conditions.append(column(Post.status).in_(filters.statuses))
    if filters.sources:
        conditions.append(column(Post.source).in_(filters.sources))
    if filters.since is not None:
        conditions.append(column(Post.created_at) >= to_utc(filters.since))
    if filters.until is not None:
        conditions.append(column(Post.created_at) < to_utc(filters.until))
    if filters.needs_review is not None:
        conditions.append(column(Post.needs_review).is_(filters.needs_review))
    if filters.min_confidence is not None:
        conditions.append(column(Post.confidence) >= filters.min_confidence)
    if filters.max_confidence is not None:
        conditions.append(column(Post.confidence) <= filters.max_confidence)
    if filters.assignee:
        conditions.append(Post.assignee == filters.assignee)
    if filters.text:
        conditions.append(text_condition(search or TextSearch(filters.text, from_index=False), dialect))
    return query.where(*conditions)


def encode_cursor(sort: SortKey, value: Any, post_id: int) -> str:
    if isinstance(value, datetime):
        value = to_utc(value).isoformat()
    document = json.dumps([sort.name, value, post_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(document.encode()).decode().rstrip("=")


def decode_cursor(sort: SortKey, cursor: str) -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, value, post_id = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, TypeError, UnicodeError):
        raise CursorError("invalid cursor") from None
    if name != sort.name or not isinstance(post_id, int) or not 0 <= post_id < 2**31:
        raise CursorError("cursor belongs to another sort order")
    try:
        if sort.kind == "datetime":
            value = to_utc(datetime.fromisoformat(value))
        elif sort.kind == "float":
            value = float(value)
            if not math.isfinite(value):
                raise ValueError
        elif not isinstance(value, int) or isinstance(value, bool):
            raise ValueError
    except (TypeError, ValueError):
        raise CursorError("invalid cursor value") from None
    return value, post_id


def _sorted(query: Select[Any], sort: SortKey, after: tuple[Any, int] | None, *, indexed: bool = True) -> Select[Any]:
    """Order and keyset bound; `indexed=False` (SQLite) keeps the planner off the sort column's index."""
    column = sort.column if indexed else _unindexed(sort.column)
    if sort.join is not None:
        query = sort.join(query)
    if sort.nullable:
        query = query.where(column.is_not(None))
    if after is not None:
        value, post_id = after
        # The sargable bound first, so the planner walks the (column, id) index from the cursor on.
        if sort.descending:
            query = query.where(column <= value, or_(column < value, Post.id < post_id))
        else:
            query = query.where(column >= value, or_(column > value, Post.id > post_id))
    if sort.descending:
        return query.order_by(column.desc(), Post.id.desc())
    return query.order_by(column.asc(), Post.id.asc())


def _attach_labels(session: Session, rows: list[QueueRow]) -> None:
    if not rows:
        return
    by_id = {row.id: row for row in rows}
    query = (
        select(PostLabel.post_id, PostLabel.label, PostLabel.origin)
        .where(PostLabel.post_id.in_(list(by_id)))
        .order_by(PostLabel.post_id, func.coalesce(PostLabel.score, 1.0).desc(), PostLabel.label)
    )
    for post_id, label, origin in session.execute(query):
        row = by_id[post_id]
        row.labels.append(label)
        row.corrected = row.corrected or origin == "triage"


def list_queue(
    session: Session,
    filters: QueueFilter,
    *,
    sort: SortKey,
    cursor: str | None = None,
    limit: int = 50,
    with_original: bool = False,
) -> QueuePage:
    """One page of the queue; `next_cursor` continues after its last row (None on the last page)."""
    after = decode_cursor(sort, cursor) if cursor else None
    dialect = session.get_bind().dialect.name
    columns = (*_COLUMNS, Post.text) if with_original else _COLUMNS
    search = plan_search(session, filters.text) if filters.text else None
    drive_from_labels = False
    if search is not None and not search.from_index and dialect == "sqlite" and _narrowed(filters):
        search, drive_from_labels = _plan_narrowed_search(session, filters, search, limit + 1)
    # A search with few matches starts from the text index (rowid IN matches) and sorts them; anything
    # else walks the sort column's index and stops after one page.
    sort_indexed = (search is None or not search.from_index) and not drive_from_labels
    query = select(*columns, sort.column.label("sort_value"))
    query = _apply_filters(
        query, filters, dialect, sort.column if sort_indexed else None, search, drive_from_labels=drive_from_labels
    )
    query = _sorted(query, sort, after, indexed=sort_indexed or dialect != "sqlite").limit(limit + 1)
    result = session.execute(query).all()
    rows = [
        QueueRow(*record[: len(_COLUMNS)], text=record[len(_COLUMNS)] if with_original else None)
        for record in result[:limit]
    ]
    _attach_labels(session, rows)
    next_cursor = None
    if len(result) > limit:
        last = result[limit - 1]
        next_cursor = encode_cursor(sort, last.sort_value, last.id)
    return QueuePage(rows=rows, next_cursor=next_cursor)


def _narrowed(filters: QueueFilter) -> bool:
    """Whether anything besides the text narrows the queue (statuses always do unless all are asked for)."""
    return bool(
        filters.labels or filters.sources or filters.statuses or filters.assignee or filters.since or filters.until
        or filters.needs_review is not None or filters.min_confidence is not None
        or filters.max_confidence is not None
    )  # fmt: skip


def _plan_narrowed_search(
    session: Session, filters: QueueFilter, search: TextSearch, wanted: int
) -> tuple[TextSearch, bool]:
    """A common search narrowed by other filters, on SQLite: (search plan, drive from the label filter).

    Walking the queue order stops after one page when the combination is common, but reads every post
    when it is rare ("gagal" among customer-service posts). So probe the newest posts first; when too few of
    them qualify, start from the smaller of the text index's matches and the label filter's posts (each
    costs about its row count), or keep walking when both are large.
    """
    newest = session.execute(select(func.max(Post.id))).scalar_one() or 0
    probe = _apply_filters(select(Post.id), filters, "sqlite", Post.id, search).where(Post.id > newest - PROBE_POSTS)
    found = session.execute(select(func.count()).select_from(probe.limit(wanted).subquery())).scalar_one()
    if found >= wanted:
        return search, False
    label_cost = math.inf
    if filters.labels:  # a count over the (label, created_at) index: milliseconds even uncapped
        rows = select(func.count()).select_from(PostLabel).where(PostLabel.label.in_(filters.labels))
        label_cost = LABEL_ROW_COST * session.execute(rows).scalar_one()
    text_cap = int(min(DRIVE_MAX_ROWS, label_cost))
    text_cost = count_matches(session, search, text_cap) if search.match else math.inf
    if min(text_cost, label_cost) > DRIVE_MAX_ROWS:
        return search, False
    if text_cost <= label_cost:
        return replace(search, from_index=True), False
    return search, True


def iter_queue(
    session: Session, filters: QueueFilter, *, sort: SortKey, with_original: bool = False, batch_size: int = 1000
) -> Iterator[QueueRow]:
    """Every matching row in queue order, a keyset page at a time (for CSV export)."""
    cursor: str | None = None
    while True:
        page = list_queue(session, filters, sort=sort, cursor=cursor, limit=batch_size, with_original=with_original)
        yield from page.rows
        if page.next_cursor is None:
            return
        cursor = page.next_cursor
