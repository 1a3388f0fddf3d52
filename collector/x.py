"""X (Twitter) recent search as a source: incremental by since_id, and resumable after an interrupted run.

X answers newest first. A run that stops part-way (max_pages, a rate limit, a crash) has stored the
newest part of its range but not the older part, so the watermark cannot move yet. Each committed page
records the gap instead: cursor = {newest_id, until_id}, meaning everything in [until_id, newest_id] is
stored and (watermark, until_id) is not. The next run fills the gap first (since_id = watermark,
until_id = the oldest stored id), then moves the watermark to newest_id and asks for newer posts.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Generator, Iterator
from datetime import UTC, datetime
from typing import Any

import tweepy

from pantau.collector.base import Page, RawPost, SourceContext, SourceError
from pantau.collector.clock import Clock, SystemClock
from pantau.collector.language import normalise_language_code
from pantau.collector.x_client import CallStats, GuardedSearch, IdOutsideWindow, make_client
from pantau.core.config import Settings, secret
from pantau.core.config import XSource as XSourceSettings

log = logging.getLogger(__name__)

TWEET_FIELDS = ["created_at", "lang", "author_id", "conversation_id", "public_metrics", "referenced_tweets", "entities"]
EXPANSIONS = ["author_id"]
USER_FIELDS = ["username", "name"]
TWITTER_EPOCH_MS = 1288834974657

Pass = Generator[Page, None, tuple[bool, int]]
"""Yields pages; returns (range complete, pages used)."""


def tweet_url(tweet_id: int | str, username: str | None) -> str:
    return f"https://x.com/{username}/status/{tweet_id}" if username else f"https://x.com/i/web/status/{tweet_id}"


def snowflake_time(tweet_id: int) -> datetime:
    """When a tweet id was minted; used only if the API leaves out created_at."""
    return datetime.fromtimestamp(((tweet_id >> 22) + TWITTER_EPOCH_MS) / 1000, UTC)


def _json_safe(value: Any) -> Any:
    """tweepy turns some nested fields into datetimes in place; raw must stay JSON."""
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def tweet_to_post(tweet: tweepy.Tweet, author: tweepy.User | None) -> RawPost:
    """One tweet as a RawPost: text unescaped, author from includes.users when present."""
    raw = _json_safe(dict(tweet.data))
    if author is not None:
        raw["author"] = _json_safe(dict(author.data))
    username = author.username if author is not None else None
    return RawPost(
        external_id=str(tweet.id),
        text=html.unescape(tweet.text or ""),
        created_at=tweet.created_at or snowflake_time(tweet.id),
        author=username,
        author_name=author.name if author is not None else None,
        url=tweet_url(tweet.id, username),
        lang=normalise_language_code(tweet.lang),
        raw=raw,
    )


def response_posts(response: tweepy.Response) -> list[RawPost]:
    users = {user.id: user for user in (response.includes or {}).get("users", [])}
    return [tweet_to_post(tweet, users.get(tweet.author_id)) for tweet in response.data or []]


class XSource:
    """Recent search (last 7 days) for the configured query, committed page by page."""

    type = "x"

    def __init__(
        self,
        source_settings: XSourceSettings,
        settings: Settings,
        *,
        clock: Clock | None = None,
        client: tweepy.Client | None = None,
    ) -> None:
        self.name = source_settings.name
        self.config = source_settings
        self.clock = clock or SystemClock()
        token = secret(source_settings.bearer_token_env)
        if client is None and token is None:
            raise SourceError(f"{source_settings.bearer_token_env} is not set")
        self.client = client or make_client(token or "", source_settings.timeout_seconds, source_settings.api_base_url)
        self.stats = CallStats()
        self.notes: dict[str, Any] = {}
        self.search = GuardedSearch(self.client, source_settings, self.clock, self.stats)

    @property
    def details(self) -> dict[str, Any]:
        """Counters for the run record: requests, retries, rate-limit waits, partial API errors, gaps."""
        return {**self.stats.as_details(), **self.notes}

    def fetch(self, context: SourceContext) -> Iterator[Page]:
        watermark = _as_id(context.watermark)
        pages_left = self.config.max_pages
        pending = _as_id(context.cursor.get("newest_id"))
        if pending is not None and (watermark is None or pending > watermark):
            until_id = _as_id(context.cursor.get("until_id"))
            self.notes["resumed_gap"] = {"since_id": _text(watermark), "until_id": _text(until_id)}
            complete, used = yield from self._range(watermark, until_id, pending, pages_left)
            pages_left -= used
            if not complete:
                return
            watermark = pending
        if pages_left > 0:
            yield from self._range(watermark, None, None, pages_left)

    def _range(self, since_id: int | None, until_id: int | None, newest_id: int | None, pages_left: int) -> Pass:
        """Page through (since_id, until_id) newest first; `newest_id` is the watermark once complete."""
        params: dict[str, Any] = {
            "query": self.config.query,
            "max_results": self.config.max_results,
            "tweet_fields": TWEET_FIELDS,
            "expansions": EXPANSIONS,
            "user_fields": USER_FIELDS,
            "since_id": since_id,
            "until_id": until_id,
        }
        used = 0
        try:
            for response in tweepy.Paginator(self.search.search_recent_tweets, limit=pages_left, **params):
                used += 1
                posts = response_posts(response)
                ids = [int(post.external_id) for post in posts]
                if newest_id is None and ids:
                    newest_id = max(ids)
                if not (response.meta or {}).get("next_token"):
                    watermark = _text(newest_id)
                    yield Page(posts=posts, watermark=watermark, cursor={}, final=True)
                    return True, used
                if ids:
                    until_id = min(ids)
                cursor = {"newest_id": _text(newest_id), "until_id": _text(until_id)} if newest_id else None
                yield Page(posts=posts, cursor=cursor)
        except IdOutsideWindow as exc:
            return (yield from self._outside_window(exc.parameter, since_id, until_id, newest_id, pages_left - used))
        if newest_id is not None:
            self.notes["stopped"] = f"max_pages ({self.config.max_pages}) reached; the next run continues"
        return False, used

    def _outside_window(
        self, parameter: str, since_id: int | None, until_id: int | None, newest_id: int | None, pages_left: int
    ) -> Pass:
        if parameter == "until_id" and newest_id is not None:
            # The whole gap is older than recent search reaches: nothing left to fetch there.
            log.warning("%s: posts older than id %s are beyond the 7-day search window", self.name, until_id)
            self.notes["gap_beyond_search_window"] = _text(until_id)
            yield Page(posts=[], watermark=_text(newest_id), cursor={}, final=True)
            return True, 0
        if parameter == "since_id" and since_id is not None:
            log.warning("%s: watermark %s is older than the 7-day search window; searching it all", self.name, since_id)
            self.notes["watermark_beyond_search_window"] = _text(since_id)
            return (yield from self._range(None, until_id, newest_id, pages_left))
        raise SourceError(f"X refused {parameter} {until_id or since_id}")


def _as_id(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _text(value: int | None) -> str | None:
    return str(value) if value is not None else None
