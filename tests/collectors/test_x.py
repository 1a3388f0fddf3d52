"""The X source against an API that answers like the real one, recorded at the requests layer.

tweepy's own request building and response parsing run; only the transport is replaced (`responses`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses
from sqlalchemy import Engine, select
from sqlmodel import Session

from collectors.fake_x import (
    SEARCH_URL,
    FakeX,
    id_too_old,
    make_tweet,
    problem,
    too_many_requests,
    unauthorized,
    unavailable,
)
from pantau.collector.runner import RunOutcome, collect_source
from pantau.collector.x import XSource
from pantau.core.config import Settings
from pantau.core.config import XSource as XSourceSettings
from pantau.storage.models import CollectionRun, Post, SourceState

TOKEN = "AAAAAAAAAAAAAAAAAAAAAFAKEtokenFORtests%2Bnot-a-secret"


class FakeClock:
    def __init__(self, now: float = 1_800_000_000 - 600) -> None:
        self.current = now
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.current += seconds


def x_settings(**overrides: Any) -> XSourceSettings:
    values: dict[str, Any] = {
        "name": "x_test",
        "type": "x",
        "query": '(JMO OR BPJSTKU OR "BPJS Ketenagakerjaan") lang:id -is:retweet',
        "max_results": 10,
        "max_pages": 10,
        "backoff_seconds": 2.0,
    }
    values.update(overrides)
    return XSourceSettings(**values)


@pytest.fixture
def fake_x(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeX]:
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    fake = FakeX()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, SEARCH_URL, callback=fake.callback)
        yield fake


def collect(
    engine: Engine, settings: Settings, clock: FakeClock | None = None, **overrides: Any
) -> tuple[RunOutcome, XSource]:
    config = x_settings(**overrides)
    source = XSource(config, settings, clock=clock or FakeClock())
    return collect_source(engine, settings, config, source=source), source


def stored(engine: Engine) -> dict[str, Post]:
    with Session(engine) as session:
        return {post.external_id: post for post in session.execute(select(Post)).scalars()}


def runs(engine: Engine) -> list[CollectionRun]:
    with Session(engine) as session:
        return list(session.execute(select(CollectionRun).order_by(CollectionRun.id)).scalars())


def test_pages_are_stored_once_with_author_url_time_and_unescaped_text(
    fake_x: FakeX, engine: Engine, settings: Settings
) -> None:
    fake_x.add(*(make_tweet(index) for index in range(25)))
    outcome, _ = collect(engine, settings)

    assert (outcome.status, outcome.fetched, outcome.inserted, outcome.pages) == ("ok", 25, 25, 3)
    posts = stored(engine)
    assert sorted(posts) == fake_x.ids()
    tweet = make_tweet(3)
    post = posts[tweet["id"]]
    assert post.author == "warga3"
    assert post.author_name == "Warga Nomor 3"
    assert post.url == f"https://x.com/warga3/status/{tweet['id']}"
    assert post.created_at.isoformat() == "2026-11-02T01:21:00+00:00"
    assert post.text == "JMO error lagi nomor 3 & OTP gak masuk, tolong min"
    assert post.lang == "id"
    assert post.raw["public_metrics"]["impression_count"] == 43
    assert post.raw["conversation_id"] == tweet["id"]
    assert post.raw["entities"]["mentions"][0]["username"] == "BPJSTKinfo"
    assert post.raw["author"] == {"id": "1000003", "username": "warga3", "name": "Warga Nomor 3"}

    first, second, third = fake_x.requests
    assert first["query"] == '(JMO OR BPJSTKU OR "BPJS Ketenagakerjaan") lang:id -is:retweet'
    assert first["max_results"] == "10"
    assert set(first["tweet.fields"].split(",")) == {
        "created_at",
        "lang",
        "author_id",
        "conversation_id",
        "public_metrics",
        "referenced_tweets",
        "entities",
    }
    assert first["expansions"] == "author_id"
    assert first["user.fields"] == "username,name"
    assert "since_id" not in first and "next_token" not in first
    assert second["next_token"].endswith("_10_pdy6hbz4xz1x")
    assert third["next_token"].endswith("_20_pdy6hbz4xz1x")
    assert set(fake_x.authorizations) == {f"Bearer {TOKEN}"}

    (run,) = runs(engine)
    newest = max(fake_x.ids(), key=int)
    assert (run.status, run.fetched, run.inserted, run.duplicates, run.pages) == ("ok", 25, 25, 0, 3)
    assert (run.watermark_before, run.watermark_after) == (None, newest)
    assert run.details["requests"] == 3


def test_second_run_asks_since_the_newest_stored_id(fake_x: FakeX, engine: Engine, settings: Settings) -> None:
    fake_x.add(*(make_tweet(index) for index in range(12)))
    collect(engine, settings)
    newest_stored = max(stored(engine), key=int)
    asked_before = len(fake_x.requests)
    fake_x.add(make_tweet(12), make_tweet(13))

    outcome, _ = collect(engine, settings)

    second_run = fake_x.requests[asked_before:]
    assert second_run[0]["since_id"] == newest_stored
    assert "until_id" not in second_run[0]
    assert (outcome.fetched, outcome.inserted, outcome.duplicates) == (2, 2, 0)
    assert sorted(stored(engine)) == fake_x.ids()
    assert runs(engine)[-1].watermark_after == make_tweet(13)["id"]


def test_a_run_cut_short_by_max_pages_fills_the_gap_before_moving_on(
    fake_x: FakeX, sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    fake_x.add(*(make_tweet(index) for index in range(25)))
    first, _ = collect(sqlite_engine, sqlite_settings, max_pages=1)
    assert (first.inserted, first.pages) == (10, 1)
    with Session(sqlite_engine) as session:
        state = session.get(SourceState, "x_test")
        assert state is not None
        assert state.watermark is None
        oldest_stored = min(stored(sqlite_engine), key=int)
        assert state.cursor == {"newest_id": make_tweet(24)["id"], "until_id": oldest_stored}
    asked_before = len(fake_x.requests)
    fake_x.add(make_tweet(25), make_tweet(26))

    second, source = collect(sqlite_engine, sqlite_settings)

    asked = fake_x.requests[asked_before:]
    assert asked[0]["until_id"] == oldest_stored and "since_id" not in asked[0]
    head = [params for params in asked if "until_id" not in params]
    assert head[0]["since_id"] == make_tweet(24)["id"]
    assert (second.inserted, second.duplicates) == (17, 0)
    assert sorted(stored(sqlite_engine)) == fake_x.ids()
    assert runs(sqlite_engine)[-1].watermark_after == make_tweet(26)["id"]
    assert source.details["resumed_gap"] == {"since_id": None, "until_id": oldest_stored}


def test_429_within_the_allowed_wait_sleeps_until_reset_and_goes_on(
    fake_x: FakeX, sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    clock = FakeClock()
    fake_x.add(*(make_tweet(index) for index in range(15)))
    fake_x.scripted[1] = too_many_requests(reset_at=int(clock.now()) + 30)

    outcome, _ = collect(sqlite_engine, sqlite_settings, clock)

    assert clock.sleeps == [31]
    assert (outcome.status, outcome.inserted) == ("ok", 15)
    assert sorted(stored(sqlite_engine)) == fake_x.ids()
    details = runs(sqlite_engine)[-1].details
    assert (details["rate_limit_waits"], details["rate_limit_waited_seconds"]) == (1, 31)


def test_429_beyond_the_allowed_wait_ends_the_run_rate_limited_and_the_next_run_resumes(
    fake_x: FakeX, engine: Engine, settings: Settings
) -> None:
    clock = FakeClock()
    fake_x.add(*(make_tweet(index) for index in range(25)))
    fake_x.scripted[1] = too_many_requests(reset_at=int(clock.now()) + 2000)

    limited, _ = collect(engine, settings, clock)

    assert clock.sleeps == []
    assert limited.status == "rate_limited" and limited.ok
    assert "X rate limit reached" in (limited.error or "") and "next run resumes" in (limited.error or "")
    assert limited.inserted == 10
    run = runs(engine)[-1]
    assert (run.status, run.watermark_after) == ("rate_limited", None)

    resumed, _ = collect(engine, settings, clock)

    assert (resumed.status, resumed.inserted, resumed.duplicates) == ("ok", 15, 0)
    assert sorted(stored(engine)) == fake_x.ids()
    assert runs(engine)[-1].watermark_after == max(fake_x.ids(), key=int)


def test_a_used_up_rate_limit_window_is_waited_out_before_the_next_request(
    fake_x: FakeX, sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    clock = FakeClock()
    fake_x.add(*(make_tweet(index) for index in range(15)))
    status, headers, body = fake_x._search({"max_results": "10"})
    fake_x.scripted[0] = (status, {**headers, "x-rate-limit-remaining": "0", "x-rate-limit-reset": "1800000000"}, body)

    outcome, _ = collect(sqlite_engine, sqlite_settings, clock)

    assert clock.sleeps == [601]
    assert (outcome.status, outcome.inserted) == ("ok", 15)
    assert len(fake_x.requests) == 2


def test_401_fails_the_source_with_one_line_and_never_logs_the_token(
    fake_x: FakeX, sqlite_engine: Engine, sqlite_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    fake_x.scripted[0] = unauthorized()
    caplog.set_level(logging.DEBUG)

    outcome, _ = collect(sqlite_engine, sqlite_settings)

    assert outcome.status == "failed"
    assert outcome.error == "X rejected the bearer token (401 Unauthorized)"
    assert len(fake_x.requests) == 1
    assert "Bearer [redacted]" in caplog.text
    assert TOKEN not in caplog.text
    with Session(sqlite_engine) as session:
        state = session.get(SourceState, "x_test")
        assert state is not None and state.consecutive_failures == 1
        assert state.last_error == outcome.error


def test_503_is_retried_with_backoff_then_succeeds(
    fake_x: FakeX, sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    clock = FakeClock()
    fake_x.add(*(make_tweet(index) for index in range(5)))
    fake_x.scripted[0] = unavailable()
    fake_x.scripted[1] = unavailable()

    outcome, _ = collect(sqlite_engine, sqlite_settings, clock)

    assert clock.sleeps == [2.0, 4.0]
    assert (outcome.status, outcome.inserted) == ("ok", 5)
    assert runs(sqlite_engine)[-1].details["retries"] == 2


def test_a_dropped_connection_is_retried(
    monkeypatch: pytest.MonkeyPatch, sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    fake = FakeX()
    fake.add(*(make_tweet(index) for index in range(5)))
    clock = FakeClock()
    with responses.RequestsMock() as mock:
        mock.add(
            responses.GET, SEARCH_URL, body=requests.ConnectionError("Connection aborted: connection reset by peer")
        )
        mock.add_callback(responses.GET, SEARCH_URL, callback=fake.callback)
        outcome, _ = collect(sqlite_engine, sqlite_settings, clock)
        timeouts = {call.request.req_kwargs["timeout"] for call in mock.calls}

    assert (outcome.status, outcome.inserted) == ("ok", 5)
    assert clock.sleeps == [2.0]
    assert timeouts == {30.0}


def test_a_server_that_stays_down_fails_the_source_after_bounded_retries(
    fake_x: FakeX, sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    clock = FakeClock()
    for number in range(10):
        fake_x.scripted[number] = unavailable()

    outcome, _ = collect(sqlite_engine, sqlite_settings, clock, max_retries=2)

    assert outcome.status == "failed"
    assert outcome.error == "X API unavailable after 3 attempt(s): 503 Service Unavailable: Service Unavailable"
    assert clock.sleeps == [2.0, 4.0]
    assert len(fake_x.requests) == 3


def test_html_entities_are_unescaped_once(fake_x: FakeX, sqlite_engine: Engine, sqlite_settings: Settings) -> None:
    fake_x.add(make_tweet(0, "Min &lt;b&gt;JMO&lt;/b&gt; error &amp; saldo &gt; 0 tapi tulisan &amp;amp; aneh"))

    collect(sqlite_engine, sqlite_settings)

    (post,) = stored(sqlite_engine).values()
    assert post.text == "Min <b>JMO</b> error & saldo > 0 tapi tulisan &amp; aneh"
    assert post.raw["text"] == "Min &lt;b&gt;JMO&lt;/b&gt; error &amp; saldo &gt; 0 tapi tulisan &amp;amp; aneh"


def test_missing_author_and_partial_errors_are_tolerated_and_counted(
    fake_x: FakeX, sqlite_engine: Engine, sqlite_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    fake_x.add(make_tweet(0, author=5), make_tweet(1, author=6), make_tweet(2, author=5))
    fake_x.missing_users.add("1000005")

    outcome, _ = collect(sqlite_engine, sqlite_settings)

    assert (outcome.status, outcome.inserted) == ("ok", 3)
    posts = stored(sqlite_engine)
    orphan = posts[make_tweet(0)["id"]]
    assert orphan.author is None and orphan.author_name is None
    assert orphan.url == f"https://x.com/i/web/status/{orphan.external_id}"
    assert orphan.raw["author_id"] == "1000005"
    assert posts[make_tweet(1)["id"]].author == "warga6"
    details = runs(sqlite_engine)[-1].details
    assert details["api_errors"] == 1
    assert details["api_error_samples"] == ["Could not find user with author_id: [1000005]."]
    assert "partial error" in caplog.text


def test_a_watermark_older_than_the_search_window_falls_back_to_the_whole_window(
    fake_x: FakeX, sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    fake_x.add(*(make_tweet(index) for index in range(3)))
    collect(sqlite_engine, sqlite_settings)
    asked_before = len(fake_x.requests)
    fake_x.add(make_tweet(3))
    fake_x.scripted[asked_before] = id_too_old("since_id", make_tweet(2)["id"])

    outcome, source = collect(sqlite_engine, sqlite_settings)

    assert (outcome.status, outcome.inserted, outcome.duplicates) == ("ok", 1, 3)
    assert "since_id" not in fake_x.requests[-1]
    assert source.details["watermark_beyond_search_window"] == make_tweet(2)["id"]


def test_missing_bearer_token_fails_only_that_source(
    monkeypatch: pytest.MonkeyPatch, sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    monkeypatch.delenv("X_BEARER_TOKEN", raising=False)

    outcome = collect_source(sqlite_engine, sqlite_settings, x_settings())

    assert (outcome.status, outcome.error) == ("failed", "X_BEARER_TOKEN is not set")


def test_a_non_json_answer_is_retried_like_a_server_error(
    fake_x: FakeX, sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    clock = FakeClock()
    fake_x.add(*(make_tweet(index) for index in range(3)))
    fake_x.scripted[0] = (200, {"content-type": "text/html"}, "<html><body>upstream connect error</body></html>")

    outcome, _ = collect(sqlite_engine, sqlite_settings, clock)

    assert (outcome.status, outcome.inserted) == ("ok", 3)
    assert clock.sleeps == [2.0]


def test_403_names_the_reason_x_gives(fake_x: FakeX, sqlite_engine: Engine, sqlite_settings: Settings) -> None:
    detail = (
        "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Project."
    )
    fake_x.scripted[0] = (403, {"content-type": "application/problem+json"}, problem(403, "Client Forbidden", detail))

    outcome, _ = collect(sqlite_engine, sqlite_settings)

    assert outcome.error == f"X rejected the bearer token (403 Forbidden): {detail}"
