"""Google Play reviews through google-play-scraper's own request and parsing code, replayed at urlopen."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from collectors.fake_play import FakePlay, http_error, review_id, review_time, unreachable, wire_review
from pantau.collector.google_play import GooglePlaySource
from pantau.collector.google_play_fetch import scraper
from pantau.collector.runner import RunOutcome, collect_source
from pantau.core.config import GooglePlaySource as GooglePlaySettings
from pantau.core.config import Settings
from pantau.storage.models import CollectionRun, Post, SourceState


class FakeClock:
    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def now(self) -> float:
        return 1_800_000_000.0

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


@pytest.fixture
def play(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePlay]:
    fake = FakePlay()
    scraper()
    monkeypatch.setattr("google_play_scraper.utils.request.urlopen", fake.urlopen)
    yield fake


def play_settings(**overrides: Any) -> GooglePlaySettings:
    values: dict[str, Any] = {"name": "play_test", "type": "google_play", "app_id": "com.bpjstku", "page_size": 2}
    values.update(overrides)
    return GooglePlaySettings(**values)


def collect(
    engine: Engine, settings: Settings, clock: FakeClock | None = None, **overrides: Any
) -> tuple[RunOutcome, GooglePlaySource]:
    config = play_settings(**overrides)
    source = GooglePlaySource(config, settings, clock=clock or FakeClock())
    return collect_source(engine, settings, config, source=source), source


def stored(engine: Engine) -> dict[str, Post]:
    with Session(engine) as session:
        return {post.external_id: post for post in session.execute(select(Post)).scalars()}


def state(engine: Engine) -> SourceState:
    with Session(engine) as session:
        found = session.get(SourceState, "play_test")
        assert found is not None
        return found


def mark(index: int) -> str:
    return f"{review_time(index).isoformat()}|{review_id(index)}"


def test_reviews_are_stored_with_rating_version_and_reply_in_raw(
    play: FakePlay, engine: Engine, settings: Settings
) -> None:
    play.add(*(wire_review(index) for index in range(4)))
    play.add(wire_review(4, "Tolong diperbaiki, klaim JHT saya tidak bisa diajukan", score=2, reply="Mohon maaf Kak"))

    outcome, _ = collect(engine, settings)

    assert (outcome.status, outcome.inserted, outcome.pages) == ("ok", 5, 3)
    posts = stored(engine)
    assert sorted(posts) == sorted(review_id(index) for index in range(5))
    post = posts[review_id(4)]
    assert post.text == "Tolong diperbaiki, klaim JHT saya tidak bisa diajukan"
    assert post.author == "Pengguna 4"
    assert post.created_at == review_time(4)
    assert post.url == f"https://play.google.com/store/apps/details?id=com.bpjstku&reviewId={review_id(4)}"
    assert post.lang == "id"
    assert post.raw["score"] == 2
    assert post.raw["reviewCreatedVersion"] == post.raw["appVersion"] == "3.2.1"
    assert post.raw["thumbsUpCount"] == 0
    assert post.raw["replyContent"] == "Mohon maaf Kak"
    assert post.raw["repliedAt"] == review_time(4).replace(hour=review_time(4).hour + 2).isoformat()
    assert play.requests[0]["token"] is None
    assert all(request["app_id"] == "com.bpjstku" and "hl=id&gl=id" in request["url"] for request in play.requests)
    assert state(engine).watermark == mark(4)


def test_a_later_run_stops_at_the_newest_review_already_stored(
    play: FakePlay, sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    play.add(*(wire_review(index) for index in range(5)))
    collect(sqlite_engine, sqlite_settings)
    play.add(*(wire_review(index) for index in range(5, 8)))
    asked_before = len(play.requests)

    outcome, _ = collect(sqlite_engine, sqlite_settings)

    assert (outcome.inserted, outcome.duplicates) == (3, 0)
    assert len(play.requests) - asked_before == 2
    assert sorted(stored(sqlite_engine)) == sorted(review_id(index) for index in range(8))
    assert state(sqlite_engine).watermark == mark(7)


def test_a_pass_cut_short_continues_from_its_token_and_only_then_moves_the_watermark(
    play: FakePlay, sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    play.add(*(wire_review(index) for index in range(3)))
    collect(sqlite_engine, sqlite_settings)
    play.add(*(wire_review(index) for index in range(3, 12)))

    cut, source = collect(sqlite_engine, sqlite_settings, max_reviews=4)

    assert (cut.status, cut.inserted) == ("ok", 4)
    assert source.details["stopped"].startswith("max_reviews (4) reached")
    cut_state = state(sqlite_engine)
    assert cut_state.watermark == mark(2)
    assert cut_state.cursor["pending"] == mark(11)
    token = cut_state.cursor["token"]
    asked_before = len(play.requests)
    play.add(wire_review(12))

    resumed, _ = collect(sqlite_engine, sqlite_settings)

    assert play.requests[asked_before]["token"] == token
    assert (resumed.inserted, resumed.duplicates) == (6, 0)
    assert sorted(stored(sqlite_engine)) == sorted(review_id(index) for index in range(13))
    assert state(sqlite_engine).watermark == mark(12)
    assert state(sqlite_engine).cursor == {}


def test_an_expired_token_starts_a_new_pass_down_to_the_old_watermark(
    play: FakePlay, sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    play.add(*(wire_review(index) for index in range(3)))
    collect(sqlite_engine, sqlite_settings)
    play.add(*(wire_review(index) for index in range(3, 10)))
    collect(sqlite_engine, sqlite_settings, max_reviews=2)
    play.known_tokens.clear()

    outcome, source = collect(sqlite_engine, sqlite_settings)

    assert source.details["stale_token"] is True
    assert (outcome.status, outcome.inserted) == ("ok", 5)
    assert sorted(stored(sqlite_engine)) == sorted(review_id(index) for index in range(10))
    assert state(sqlite_engine).watermark == mark(9)


def test_the_first_run_takes_only_the_newest_max_reviews(
    play: FakePlay, sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    play.add(*(wire_review(index) for index in range(10)))

    outcome, source = collect(sqlite_engine, sqlite_settings, max_reviews=4)

    assert outcome.inserted == 4
    assert sorted(stored(sqlite_engine)) == sorted(review_id(index) for index in range(6, 10))
    assert state(sqlite_engine).watermark == mark(9)
    assert source.details["first_run_limited_to"] == 4


def test_network_errors_are_retried_with_backoff(
    play: FakePlay, sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    clock = FakeClock()
    play.add(*(wire_review(index) for index in range(3)))
    # google-play-scraper itself tries three times at once; our retry comes after that.
    play.failures.update({0: unreachable(), 1: unreachable(), 2: http_error(503)})

    outcome, source = collect(sqlite_engine, sqlite_settings, clock)

    assert (outcome.status, outcome.inserted) == ("ok", 3)
    assert clock.sleeps == [2.0]
    assert source.details["retries"] == 1


def test_an_error_mid_pass_keeps_what_was_stored_and_the_next_run_continues(
    play: FakePlay, sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    clock = FakeClock()
    play.add(*(wire_review(index) for index in range(6)))
    play.failures.update({number: unreachable() for number in range(1, 7)})

    failed, _ = collect(sqlite_engine, sqlite_settings, clock, max_retries=1)

    assert failed.status == "failed"
    assert failed.error == (
        "Google Play reviews for com.bpjstku failed after 2 attempt(s): URLError: <urlopen error [Errno 111] "
        "Connection refused>"
    )
    assert failed.inserted == 2
    assert state(sqlite_engine).watermark is None
    play.failures.clear()

    resumed, _ = collect(sqlite_engine, sqlite_settings, clock)

    assert (resumed.status, resumed.inserted, resumed.duplicates) == ("ok", 4, 0)
    assert state(sqlite_engine).watermark == mark(5)


def test_an_unknown_app_fails_with_a_clear_reason(
    play: FakePlay, sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    play.failures.update({number: http_error(404) for number in range(3)})

    outcome, _ = collect(sqlite_engine, sqlite_settings, app_id="com.example.tidak.ada")

    assert (outcome.status, outcome.error) == ("failed", "Google Play app com.example.tidak.ada not found (404)")


def test_an_answer_that_is_not_review_data_is_an_error_not_the_end_of_the_list(
    play: FakePlay, sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    play.add(*(wire_review(index) for index in range(3)))
    captcha = "<!DOCTYPE html><html><body>Our systems have detected unusual traffic</body></html>"
    play.bodies.update({number: captcha for number in range(10)})

    outcome, _ = collect(sqlite_engine, sqlite_settings, FakeClock(), max_retries=1)

    assert outcome.status == "failed"
    assert "UnexpectedResponse: the answer is not a batchexecute response" in (outcome.error or "")
    with Session(sqlite_engine) as session:
        run = session.execute(select(CollectionRun)).scalar_one()
        assert (run.watermark_after, run.details["requests"]) == (None, 2)


def test_importing_the_scraper_leaves_tls_verification_on() -> None:
    scraper()
    assert ssl._create_default_https_context is ssl.create_default_context
