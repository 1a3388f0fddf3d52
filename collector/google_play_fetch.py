"""One page of Google Play reviews through google-play-scraper, with its failures made visible.

`reviews()` catches every error while fetching and returns what it has with no continuation token,
which looks exactly like the end of the list. A source that trusted that would move its watermark
past reviews it never saw, so each call runs with the library's `post` wrapped to record failures and
unreadable answers; a recorded failure is retried with backoff and finally raised as SourceError.
"""

from __future__ import annotations

import importlib
import json
import logging
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from pantau.collector.base import SourceError
from pantau.collector.clock import Clock
from pantau.core.config import GooglePlaySource as GooglePlaySettings

log = logging.getLogger(__name__)

_LOCK = threading.Lock()


class ResumeFailed(SourceError):
    """Google Play did not accept a continuation token stored by an earlier run."""


class UnexpectedResponse(Exception):
    """Google Play answered, but not with review data the library can read."""


def scraper() -> ModuleType:
    """Import google-play-scraper without keeping its process-wide switch-off of TLS verification.

    On import it sets ssl._create_default_https_context to the unverified context, which would
    silently affect every urllib HTTPS request in the process (Play included); the verified default
    is put back.
    """
    module = importlib.import_module("google_play_scraper")
    if ssl._create_default_https_context is ssl._create_unverified_context:
        ssl._create_default_https_context = ssl.create_default_context
    return module


def _check_body(body: Any) -> str | None:
    """Why the library could not read `body` as a reviews answer, or None when it can."""
    reviews_module = importlib.import_module("google_play_scraper.features.reviews")
    if not isinstance(body, str):
        return "the answer is not text"
    found = reviews_module.Regex.REVIEWS.findall(body)
    if not found:
        return "the answer is not a batchexecute response"
    try:
        payload = json.loads(found[0])[0][2]
        # A null payload is how Google Play says "no (more) reviews"; both reference scrapers read it so.
        if payload is not None:
            json.loads(payload)
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        return f"the review data cannot be read ({type(exc).__name__})"
    return None


@contextmanager
def surfaced_errors(timeout: float) -> Iterator[list[BaseException]]:
    """Record what the library's `post` raised or could not parse while the block runs."""
    reviews_module = importlib.import_module("google_play_scraper.features.reviews")
    errors: list[BaseException] = []
    with _LOCK:
        original = reviews_module.post

        def post(url: str, data: Any, headers: dict[str, str]) -> str:
            try:
                body = original(url, data, headers)
            except Exception as exc:
                errors.append(exc)
                raise
            problem = _check_body(body)
            if problem:
                errors.append(UnexpectedResponse(problem))
            return body

        reviews_module.post = post
        # urlopen is called without a timeout; the socket default is the only handle on a stalled read.
        previous_timeout = socket.getdefaulttimeout()
        socket.setdefaulttimeout(timeout)
        try:
            yield errors
        finally:
            reviews_module.post = original
            socket.setdefaulttimeout(previous_timeout)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__


class ReviewFetcher:
    """Newest-first pages of one app's reviews, retried with exponential backoff."""

    def __init__(self, config: GooglePlaySettings, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.stats: dict[str, int] = {"requests": 0}

    def _call(self, count: int, token: str | None) -> tuple[list[dict[str, Any]], Any]:
        module = scraper()
        if token is None:
            return module.reviews(
                self.config.app_id,
                lang=self.config.lang,
                country=self.config.country,
                sort=module.Sort.NEWEST,
                count=count,
            )
        reviews_module = importlib.import_module("google_play_scraper.features.reviews")
        continuation = reviews_module._ContinuationToken(
            token, self.config.lang, self.config.country, module.Sort.NEWEST.value, count, None, None
        )
        return module.reviews(self.config.app_id, continuation_token=continuation)

    def fetch(
        self, count: int, token: str | None, *, resuming: bool = False
    ) -> tuple[list[dict[str, Any]], str | None]:
        """(reviews newest first, continuation token or None at the end of the list)."""
        not_found = importlib.import_module("google_play_scraper.exceptions").NotFoundError
        last: BaseException | None = None
        for attempt in range(self.config.max_retries + 1):
            if attempt:
                delay = self.config.backoff_seconds * 2 ** (attempt - 1)
                log.warning("Google Play %s: %s; retrying in %.0f s", self.config.app_id, _describe(last), delay)
                self.stats["retries"] = self.stats.get("retries", 0) + 1
                self.clock.sleep(delay)
            self.stats["requests"] += 1
            with surfaced_errors(self.config.timeout_seconds) as errors:
                try:
                    result, continuation = self._call(count, token)
                except Exception as exc:
                    errors.append(exc)
            if not errors:
                next_token = getattr(continuation, "token", None)
                return list(result), next_token if isinstance(next_token, str) and next_token else None
            last = errors[0]
            if isinstance(last, not_found):
                raise SourceError(f"Google Play app {self.config.app_id} not found (404)")
            if resuming and isinstance(last, UnexpectedResponse):
                raise ResumeFailed(f"resuming from the stored continuation token failed: {_describe(last)}")
        attempts = self.config.max_retries + 1
        raise SourceError(
            f"Google Play reviews for {self.config.app_id} failed after {attempts} attempt(s): {_describe(last)}"
        )
