"""Google Play reviews as a source (google-play-scraper): newest first, stopping at what is already stored.

The watermark is the newest review of the last complete pass ("<ISO time>|<review id>"). A pass reads
newest first until it meets that review (or anything older); only then does the watermark move. A pass
cut short (max_reviews, an error, a crash) leaves cursor = {pending, token}: the next run continues from
the continuation token down to the old watermark before it starts a new pass, so nothing is skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from pantau.collector.base import Page, RawPost, SourceContext
from pantau.collector.clock import Clock, SystemClock
from pantau.collector.google_play_fetch import ResumeFailed, ReviewFetcher
from pantau.core.config import GooglePlaySource as GooglePlaySettings
from pantau.core.config import Settings

log = logging.getLogger(__name__)

Pass = Generator[Page, None, tuple[bool, int]]
"""Yields pages; returns (pass complete, reviews read)."""


def _aware(value: Any) -> datetime | None:
    """google-play-scraper builds times with datetime.fromtimestamp: naive, in the process's local zone."""
    if not isinstance(value, datetime):
        return None
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class ReviewMark:
    """A position in the newest-first list: a review's time and id."""

    at: datetime
    review_id: str | None

    def encode(self) -> str:
        text = f"{self.at.isoformat()}|{self.review_id}"
        return text if self.review_id and len(text) <= 128 else self.at.isoformat()

    @classmethod
    def decode(cls, value: Any) -> ReviewMark | None:
        if not isinstance(value, str) or not value:
            return None
        moment, _, review_id = value.partition("|")
        try:
            at = datetime.fromisoformat(moment)
        except ValueError:
            return None
        return cls(at if at.tzinfo else at.replace(tzinfo=UTC), review_id or None)

    @classmethod
    def of(cls, review: dict[str, Any]) -> ReviewMark | None:
        at = _aware(review.get("at"))
        return cls(at, str(review.get("reviewId") or "") or None) if at else None

    def covers(self, review: dict[str, Any]) -> bool:
        """True when `review` is this one or older: stored by an earlier complete pass."""
        at = _aware(review.get("at"))
        return (self.review_id is not None and review.get("reviewId") == self.review_id) or (
            at is not None and at < self.at
        )


def review_url(app_id: str, review_id: str) -> str:
    return f"https://play.google.com/store/apps/details?id={quote(app_id)}&reviewId={quote(review_id)}"


def review_to_post(review: dict[str, Any], app_id: str) -> RawPost | None:
    """A review as a RawPost; rating, app version, thumbs-up and the developer's reply go to raw."""
    review_id = review.get("reviewId")
    at = _aware(review.get("at"))
    if not review_id or at is None:
        return None
    replied_at = _aware(review.get("repliedAt"))
    raw = {
        "app_id": app_id,
        "score": review.get("score"),
        "thumbsUpCount": review.get("thumbsUpCount"),
        "reviewCreatedVersion": review.get("reviewCreatedVersion"),
        "appVersion": review.get("appVersion"),
        "replyContent": review.get("replyContent"),
        "repliedAt": replied_at.isoformat() if replied_at else None,
    }
    return RawPost(
        external_id=str(review_id),
        text=review.get("content") or "",
        created_at=at,
        author=review.get("userName") or None,
        url=review_url(app_id, str(review_id)),
        raw=raw,
    )


class GooglePlaySource:
    """Reviews of one app, in the configured language and country."""

    type = "google_play"

    def __init__(self, source_settings: GooglePlaySettings, settings: Settings, *, clock: Clock | None = None) -> None:
        self.name = source_settings.name
        self.config = source_settings
        self.fetcher = ReviewFetcher(source_settings, clock or SystemClock())
        self.notes: dict[str, Any] = {}

    @property
    def details(self) -> dict[str, Any]:
        return {**self.fetcher.stats, **self.notes}

    def fetch(self, context: SourceContext) -> Iterator[Page]:
        stop = ReviewMark.decode(context.watermark)
        budget = self.config.max_reviews
        pending = ReviewMark.decode(context.cursor.get("pending"))
        token = context.cursor.get("token")
        if pending is not None and isinstance(token, str) and token:
            self.notes["resumed"] = True
            try:
                complete, read = yield from self._pass(stop, pending, token, budget)
            except ResumeFailed as exc:
                # The continuation token no longer works: start over from the newest review; the old
                # watermark still bounds the pass, so the part stored before is only read again.
                log.warning("%s: %s; starting a new pass from the newest review", self.name, exc)
                self.notes["stale_token"] = True
                yield from self._pass(stop, None, None, budget)
                return
            budget -= read
            if not complete:
                return
            stop = pending
        if budget > 0:
            yield from self._pass(stop, None, None, budget)

    def _pass(self, stop: ReviewMark | None, pending: ReviewMark | None, token: str | None, budget: int) -> Pass:
        read = 0
        resumed = token is not None
        while read < budget:
            count = min(self.config.page_size, budget - read)
            reviews, token = self.fetcher.fetch(count, token, resuming=resumed and read == 0)
            read += len(reviews)
            if pending is None and reviews:
                pending = ReviewMark.of(reviews[0])
            fresh: list[dict[str, Any]] = []
            reached = False
            for review in reviews:
                if stop is not None and stop.covers(review):
                    reached = True
                    break
                fresh.append(review)
            posts = [post for post in (review_to_post(review, self.config.app_id) for review in fresh) if post]
            skipped = len(fresh) - len(posts)
            if skipped:
                self.notes["unreadable_reviews"] = self.notes.get("unreadable_reviews", 0) + skipped
            end_of_list = token is None or not reviews
            if end_of_list and resumed and stop is not None and not reached:
                # Google Play answers an expired token with "no more reviews"; believing it would move
                # the watermark over reviews never read.
                raise ResumeFailed("the stored continuation token ended the list before the stored reviews")
            initial_backfill_done = stop is None and read >= budget
            if reached or end_of_list or initial_backfill_done:
                if initial_backfill_done and not (reached or end_of_list):
                    self.notes["first_run_limited_to"] = budget
                watermark = pending.encode() if pending else None
                yield Page(posts=posts, watermark=watermark, cursor={}, final=True)
                return True, read
            cursor = {"pending": pending.encode(), "token": token} if pending else None
            yield Page(posts=posts, cursor=cursor)
        self.notes["stopped"] = f"max_reviews ({self.config.max_reviews}) reached; the next run continues"
        return False, read
