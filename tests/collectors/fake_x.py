"""A stand-in for X API v2 recent search that answers the way the real one does.

It keeps a timeline and answers GET /2/tweets/search/recent honestly: newest first, `since_id` and
`until_id` exclusive, `max_results` per page, an opaque `next_token`, `includes.users` for the authors,
`meta.newest_id/oldest_id/result_count/next_token`, partial `errors` for authors it cannot find, and
x-rate-limit-* headers. Scripted answers (429, 401, 503) can be queued ahead of the honest ones.
It serves both `responses` (the callback) and a loopback HTTP server (the handler).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

SEARCH_PATH = "/2/tweets/search/recent"
SEARCH_URL = "https://api.twitter.com" + SEARCH_PATH
TWITTER_EPOCH_MS = 1288834974657
START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)

Answer = tuple[int, dict[str, str], str]


def snowflake(at: datetime, sequence: int = 0) -> int:
    return ((int(at.timestamp() * 1000) - TWITTER_EPOCH_MS) << 22) + sequence


def make_tweet(index: int, text: str | None = None, *, author: int | None = None, **extra: Any) -> dict[str, Any]:
    """A tweet as the API sends it; later indexes are newer."""
    at = START + timedelta(minutes=7 * index)
    tweet_id = str(snowflake(at, index % 4096))
    author_id = str(1_000_000 + (index % 7 if author is None else author))
    tweet = {
        "id": tweet_id,
        "text": text if text is not None else f"JMO error lagi nomor {index} &amp; OTP gak masuk, tolong min",
        "created_at": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "author_id": author_id,
        "conversation_id": tweet_id,
        "lang": "in",
        "edit_history_tweet_ids": [tweet_id],
        "public_metrics": {
            "retweet_count": index % 3,
            "reply_count": 1,
            "like_count": index % 11,
            "quote_count": 0,
            "bookmark_count": 0,
            "impression_count": 40 + index,
        },
        "entities": {"mentions": [{"start": 0, "end": 11, "username": "BPJSTKinfo", "id": "81234567"}]},
    }
    tweet.update(extra)
    return tweet


def make_user(author_id: str) -> dict[str, Any]:
    number = int(author_id) - 1_000_000
    return {"id": author_id, "username": f"warga{number}", "name": f"Warga Nomor {number}"}


def problem(status: int, title: str, detail: str | None = None) -> str:
    return json.dumps({"title": title, "detail": detail or title, "type": "about:blank", "status": status})


def too_many_requests(reset_at: int) -> Answer:
    headers = {
        "content-type": "application/problem+json",
        "x-rate-limit-limit": "450",
        "x-rate-limit-remaining": "0",
        "x-rate-limit-reset": str(reset_at),
    }
    return 429, headers, problem(429, "Too Many Requests")


def unauthorized() -> Answer:
    return 401, {"content-type": "application/problem+json"}, problem(401, "Unauthorized")


def unavailable() -> Answer:
    return 503, {"content-type": "application/problem+json"}, problem(503, "Service Unavailable")


def id_too_old(parameter: str, value: str) -> Answer:
    body = {
        "errors": [
            {
                "parameters": {parameter: [value]},
                "message": f"Invalid '{parameter}':'{value}'. '{parameter}' must be a tweet id created after "
                "2026-11-01T00:00Z.",
            }
        ],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }
    return 400, {"content-type": "application/json; charset=utf-8"}, json.dumps(body)


@dataclass
class FakeX:
    tweets: list[dict[str, Any]] = field(default_factory=list)
    missing_users: set[str] = field(default_factory=set)
    """Author ids the API 'cannot find': left out of includes.users and reported in `errors`."""
    scripted: dict[int, Answer] = field(default_factory=dict)
    """Answers given instead of the honest one, by zero-based request number."""
    requests: list[dict[str, str]] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)
    reset_at: int = 1_800_000_000
    block_at_request: int | None = None
    """Zero-based request number the loopback server holds until `release` is set."""
    blocked: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def add(self, *tweets: dict[str, Any]) -> None:
        self.tweets.extend(tweets)

    def answer(self, params: dict[str, str], authorization: str = "") -> Answer:
        number = len(self.requests)
        self.requests.append(params)
        self.authorizations.append(authorization)
        if number in self.scripted:
            return self.scripted[number]
        return self._search(params)

    def _search(self, params: dict[str, str]) -> Answer:
        since = int(params.get("since_id") or 0)
        until = int(params.get("until_id") or 1 << 63)
        size = int(params.get("max_results") or 10)
        timeline = sorted(self.tweets, key=lambda tweet: int(tweet["id"]), reverse=True)
        matching = [tweet for tweet in timeline if since < int(tweet["id"]) < until]
        offset = int(params["next_token"].split("_")[1]) if params.get("next_token") else 0
        page = matching[offset : offset + size]
        headers = {
            "content-type": "application/json; charset=utf-8",
            "x-rate-limit-limit": "450",
            "x-rate-limit-remaining": str(max(1, 449 - len(self.requests))),
            "x-rate-limit-reset": str(self.reset_at),
        }
        if not page:
            return 200, headers, json.dumps({"meta": {"result_count": 0}})
        author_ids = sorted({tweet["author_id"] for tweet in page})
        body: dict[str, Any] = {
            "data": page,
            "includes": {"users": [make_user(author) for author in author_ids if author not in self.missing_users]},
            "meta": {"newest_id": page[0]["id"], "oldest_id": page[-1]["id"], "result_count": len(page)},
        }
        missing = [author for author in author_ids if author in self.missing_users]
        if missing:
            body["errors"] = [
                {
                    "value": author,
                    "detail": f"Could not find user with author_id: [{author}].",
                    "title": "Not Found Error",
                    "resource_type": "user",
                    "parameter": "author_id",
                    "resource_id": author,
                    "type": "https://api.twitter.com/2/problems/resource-not-found",
                }
                for author in missing
            ]
        if offset + size < len(matching):
            body["meta"]["next_token"] = f"b26v89c19zqg8o3f_{offset + size}_pdy6hbz4xz1x"
        return 200, headers, json.dumps(body)

    def callback(self, request: Any) -> Answer:
        """For `responses.add_callback`."""
        params = dict(parse_qsl(urlsplit(request.url).query))
        return self.answer(params, request.headers.get("Authorization", ""))

    def ids(self) -> list[str]:
        return sorted(tweet["id"] for tweet in self.tweets)


class LoopbackX:
    """FakeX behind a real HTTP server on 127.0.0.1, for runs of the real `pantau` process."""

    def __init__(self, fake: FakeX) -> None:
        self.fake = fake
        handler = type("Handler", (_Handler,), {"fake": fake})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> LoopbackX:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.fake.release.set()
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    fake: FakeX

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != SEARCH_PATH:
            self._send(404, {}, problem(404, "Not Found"))
            return
        if self.fake.block_at_request is not None and len(self.fake.requests) == self.fake.block_at_request:
            # Hold this request until the test has killed the client, then drop it unanswered.
            self.fake.block_at_request = None
            self.fake.blocked.set()
            self.fake.release.wait(timeout=120)
            self.close_connection = True
            return
        status, headers, body = self.fake.answer(dict(parse_qsl(parts.query)), self.headers.get("Authorization", ""))
        self._send(status, headers, body)

    def _send(self, status: int, headers: dict[str, str], body: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return
