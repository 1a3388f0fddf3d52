"""Google Play's reviews endpoint (batchexecute, rpc oCPfdb) replayed in its own wire format.

The fake stands in for `urlopen` inside google-play-scraper, so the library builds its real request
body and parses the answer with its own code: the `)]}'` prefix, the envelope
[["wrb.fr","oCPfdb","<payload JSON>",...]], and the payload [reviews, [null, token], ...] where each
review is the positional array the library's ElementSpecs read (id, [name, avatar], score, ...).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import unquote

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def review_time(index: int) -> datetime:
    return START + timedelta(minutes=13 * index)


def review_id(index: int) -> str:
    return f"3f6c2a1e-{index:04d}-4b7e-9c1d-5a8e2f0b7c{index % 100:02d}"


def wire_review(index: int, text: str | None = None, *, score: int = 1, reply: str | None = None) -> list[Any]:
    """One review as Google Play sends it; later indexes are newer."""
    at = int(review_time(index).timestamp())
    user = [f"Pengguna {index}", [None, 2, None, [None, None, f"https://play-lh.googleusercontent.com/a/u{index}"]]]
    answer = None if reply is None else [None, reply, [at + 7200, 481000000]]
    content = text if text is not None else f"Aplikasi JMO gagal login terus sejak update, sudah coba {index} kali"
    return [review_id(index), user, score, None, content, [at, 123000000], index % 4, answer, None, None, "3.2.1"]


def body(payload: Any) -> str:
    envelope = [
        ["wrb.fr", "oCPfdb", None if payload is None else json.dumps(payload), None, None, None, "generic"],
        ["di", 93],
        ["af.httprm", 92, "-8473451372813470612", 8],
    ]
    return ")]}'\n\n" + json.dumps(envelope) + "\n"


@dataclass
class FakePlay:
    reviews: list[list[Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    failures: dict[int, BaseException] = field(default_factory=dict)
    """Exceptions raised instead of answering, by zero-based request number."""
    bodies: dict[int, str] = field(default_factory=dict)
    """Raw bodies sent instead of the honest answer, by request number."""
    known_tokens: set[str] = field(default_factory=set)

    def add(self, *reviews: list[Any]) -> None:
        self.reviews.extend(reviews)

    def urlopen(self, request: Any, *args: Any, **kwargs: Any) -> io.BytesIO:
        form = unquote(request.data.decode("utf-8"))
        envelope = json.loads(form.removeprefix("f.req="))
        inner = json.loads(envelope[0][0][1])
        paging = inner[1][2]
        count, token = paging[0], paging[2] if len(paging) > 2 else None
        number = len(self.requests)
        self.requests.append({"url": request.full_url, "app_id": inner[2][0], "count": count, "token": token})
        if number in self.failures:
            raise self.failures[number]
        if number in self.bodies:
            return io.BytesIO(self.bodies[number].encode("utf-8"))
        if token is not None and token not in self.known_tokens:
            # A token this server never issued (expired, or from another session): no data.
            return io.BytesIO(body(None).encode("utf-8"))
        newest_first = sorted(self.reviews, key=lambda review: review[5][0], reverse=True)
        # Like the real token, ours marks a position in the list (after a given review), not an offset.
        after = int(token.split("-")[1]) if token else None
        remaining = [review for review in newest_first if after is None or review[5][0] < after]
        page = remaining[:count]
        if count < len(remaining):
            next_token = f"CsUBIrwBATWeoiZZ-{page[-1][5][0]}-wd56AlBxwzXTvqfJpMst"
            self.known_tokens.add(next_token)
            payload: Any = [page, [None, next_token], None]
        else:
            payload = [page] if page else None
        return io.BytesIO(body(payload).encode("utf-8"))


def unreachable() -> URLError:
    return URLError(ConnectionRefusedError(111, "Connection refused"))


def http_error(status: int) -> HTTPError:
    return HTTPError("https://play.google.com/_/PlayStoreUi/data/batchexecute", status, "error", {}, None)  # type: ignore[arg-type]
