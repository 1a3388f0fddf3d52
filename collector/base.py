"""What every source produces, and the errors a source may raise to end its run."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(slots=True)
class RawPost:
    """A post as fetched, before normalisation; `created_at` must be timezone-aware."""

    external_id: str
    text: str
    created_at: datetime
    author: str | None = None
    author_name: str | None = None
    url: str | None = None
    lang: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Page:
    """One batch committed atomically with the source state it leaves behind.

    `watermark` / `cursor` are written only in the transaction that stores `posts`, so a crash
    between pages can never move the watermark past posts that were not stored.
    """

    posts: list[RawPost]
    watermark: str | None = None
    cursor: dict[str, Any] | None = None
    final: bool = False


@dataclass(slots=True)
class SourceContext:
    """What a source knows about its past when a run starts."""

    watermark: str | None
    cursor: dict[str, Any]
    newest_external_ids: list[str] = field(default_factory=list)


class Source(Protocol):
    name: str
    type: str

    def fetch(self, context: SourceContext) -> Iterator[Page]: ...


class SourceError(Exception):
    """The source failed; the message is one line naming the reason (never a secret)."""


class RateLimited(SourceError):
    """The source asked us to wait longer than we are willing to; resume next run."""

    def __init__(self, message: str, reset_at: datetime | None = None) -> None:
        super().__init__(message)
        self.reset_at = reset_at
