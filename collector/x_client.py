"""The X API v2 recent-search call made careful: timeouts, bounded retries, rate-limit waits, clear errors."""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests
import tweepy
from requests.adapters import HTTPAdapter

from pantau.collector.base import RateLimited, SourceError
from pantau.collector.clock import Clock
from pantau.core.config import XSource as XSourceSettings

log = logging.getLogger(__name__)

X_API_HOSTS = ("https://api.twitter.com", "https://api.x.com")
RATE_LIMIT_WINDOW_SECONDS = 15 * 60
_BEARER = re.compile(r"Bearer\s+[^'\"\s,}]+")
_TRANSIENT = (
    tweepy.TwitterServerError,
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.JSONDecodeError,
)


class _RedactBearerToken(logging.Filter):
    """tweepy logs its request headers at DEBUG level, Authorization included; never let a token through."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "Bearer" in message:
            record.msg, record.args = _BEARER.sub("Bearer [redacted]", message), ()
        return True


_tweepy_log = logging.getLogger("tweepy.client")
if not any(isinstance(existing, _RedactBearerToken) for existing in _tweepy_log.filters):
    _tweepy_log.addFilter(_RedactBearerToken())


class ApiAdapter(HTTPAdapter):
    """A default timeout for every request (tweepy passes none), and optionally another base URL."""

    def __init__(self, timeout: float, base_url: str | None = None) -> None:
        super().__init__()
        self.timeout = timeout
        self.base_url = base_url.rstrip("/") if base_url else None

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        if self.base_url and request.url:
            for host in X_API_HOSTS:
                if request.url.startswith(host + "/"):
                    request.url = self.base_url + request.url[len(host) :]
                    kwargs["proxies"] = {}
                    break
        return super().send(request, **kwargs)


def make_client(bearer_token: str, timeout: float, base_url: str | None = None) -> tweepy.Client:
    """A tweepy Client that never waits on its own: rate limits are ours to decide."""
    client = tweepy.Client(bearer_token=bearer_token, wait_on_rate_limit=False)
    adapter = ApiAdapter(timeout, base_url)
    for host in X_API_HOSTS:
        client.session.mount(host + "/", adapter)
    return client


@dataclass(slots=True)
class CallStats:
    """What the calls of one run went through; written to the run's details."""

    requests: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    rate_limit_waited_seconds: float = 0.0
    api_errors: int = 0
    api_error_samples: list[str] = field(default_factory=list)

    def as_details(self) -> dict[str, Any]:
        details: dict[str, Any] = {"requests": self.requests}
        for name in ("retries", "rate_limit_waits", "api_errors"):
            if getattr(self, name):
                details[name] = getattr(self, name)
        if self.rate_limit_waited_seconds:
            details["rate_limit_waited_seconds"] = round(self.rate_limit_waited_seconds, 1)
        if self.api_error_samples:
            details["api_error_samples"] = list(self.api_error_samples)
        return details


class IdOutsideWindow(Exception):
    """The API refused since_id/until_id because it is older than the recent-search window."""

    def __init__(self, parameter: str) -> None:
        super().__init__(parameter)
        self.parameter = parameter


def _status(exc: tweepy.HTTPException) -> str:
    response = exc.response
    return f"{getattr(response, 'status_code', '?')} {getattr(response, 'reason', '') or ''}".strip()


def _first_message(exc: tweepy.HTTPException) -> str:
    messages = [str(message).strip() for message in exc.api_messages if str(message).strip()]
    return messages[0].splitlines()[0][:200] if messages else ""


def _describe(exc: BaseException) -> str:
    if isinstance(exc, tweepy.HTTPException):
        message = _first_message(exc)
        return f"{_status(exc)}: {message}" if message else _status(exc)
    if isinstance(exc, requests.exceptions.JSONDecodeError):
        return "the response was not JSON"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__


def _refused_parameter(exc: tweepy.BadRequest) -> str | None:
    for error in exc.api_errors:
        if not isinstance(error, dict):
            continue
        parameters = error.get("parameters") or {}
        text = str(error.get("message", ""))
        for name in ("since_id", "until_id"):
            if name in parameters or f"'{name}'" in text:
                return name
    return None


class GuardedSearch:
    """Wraps Client.search_recent_tweets; pass `guarded.search_recent_tweets` to tweepy.Paginator.

    The bound method keeps the name `search_recent_tweets`, which Paginator checks to page with
    `next_token`. Rate-limit waits are bounded in total per run by max_rate_limit_wait_seconds.
    """

    def __init__(self, client: tweepy.Client, settings: XSourceSettings, clock: Clock, stats: CallStats) -> None:
        self.client = client
        self.settings = settings
        self.clock = clock
        self.stats = stats
        self.remaining: int | None = None
        self.reset_at: int | None = None
        client.session.hooks["response"].append(self._note_rate_limit)

    def _note_rate_limit(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        try:
            self.remaining = int(response.headers["x-rate-limit-remaining"])
            self.reset_at = int(response.headers["x-rate-limit-reset"])
        except (KeyError, ValueError):
            self.remaining = self.reset_at = None

    def search_recent_tweets(self, query: str, **params: Any) -> tweepy.Response:
        attempt = limited = 0
        while True:
            if self.remaining == 0 and self.reset_at is not None and self.reset_at > self.clock.now():
                # The window is used up: asking again would only earn a 429.
                self._wait_for_reset(self.reset_at)
                self.remaining = None
            self.stats.requests += 1
            try:
                response = self.client.search_recent_tweets(query, **params)
            except tweepy.TooManyRequests as exc:
                limited += 1
                if limited > self.settings.max_retries + 1:
                    raise RateLimited("X kept answering 429 Too Many Requests; the next run resumes") from None
                self._wait_for_reset(exc.reset_time)
                self.remaining = None
                continue
            except (tweepy.Unauthorized, tweepy.Forbidden) as exc:
                message = _first_message(exc) if isinstance(exc, tweepy.Forbidden) else ""
                raise SourceError(
                    f"X rejected the bearer token ({_status(exc)})" + (f": {message}" if message else "")
                ) from None
            except tweepy.BadRequest as exc:
                parameter = _refused_parameter(exc)
                if parameter is not None:
                    raise IdOutsideWindow(parameter) from exc
                raise SourceError(f"X refused the request ({_describe(exc)})") from None
            except _TRANSIENT as exc:
                if attempt >= self.settings.max_retries:
                    raise SourceError(f"X API unavailable after {attempt + 1} attempt(s): {_describe(exc)}") from None
                delay = self.settings.backoff_seconds * 2**attempt
                log.warning("X API: %s; retrying in %.0f s", _describe(exc), delay)
                attempt += 1
                self.stats.retries += 1
                self.clock.sleep(delay)
                continue
            except tweepy.HTTPException as exc:
                raise SourceError(f"X API error ({_describe(exc)})") from None
            self._note_partial_errors(response)
            return response

    def _wait_for_reset(self, reset_time: int | None) -> None:
        now = self.clock.now()
        # Without a reset header, assume the limit lifts when the 15-minute window does.
        reset = reset_time if reset_time is not None else math.ceil(now) + RATE_LIMIT_WINDOW_SECONDS
        wait = max(0.0, reset - now) + 1
        budget = self.settings.max_rate_limit_wait_seconds - self.stats.rate_limit_waited_seconds
        reset_at = datetime.fromtimestamp(reset, UTC)
        if wait > budget:
            raise RateLimited(
                f"X rate limit reached; it resets at {reset_at:%Y-%m-%d %H:%M:%S} UTC, in {wait:.0f} s, "
                f"beyond max_rate_limit_wait_seconds ({self.settings.max_rate_limit_wait_seconds}); "
                "the next run resumes",
                reset_at=reset_at,
            )
        log.warning("X rate limit reached; waiting %.0f s until %s", wait, reset_at.isoformat())
        self.stats.rate_limit_waits += 1
        self.stats.rate_limit_waited_seconds += wait
        self.clock.sleep(wait)

    def _note_partial_errors(self, response: tweepy.Response) -> None:
        errors = response.errors or []
        if not errors:
            return
        self.stats.api_errors += len(errors)
        details = [
            str(error.get("detail") or error.get("title") or error) if isinstance(error, dict) else str(error)
            for error in errors
        ]
        for detail in details:
            if len(self.stats.api_error_samples) < 5:
                self.stats.api_error_samples.append(detail.splitlines()[0][:200] if detail else "")
        log.warning("X API returned %d partial error(s) with the page; first: %s", len(errors), details[0][:200])
