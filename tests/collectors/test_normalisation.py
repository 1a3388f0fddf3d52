"""Every source ends in the same shape: language from the source or detected, non-Indonesian dropped on
request, and near-copies linked to their first occurrence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session

from pantau.collector.language import normalise_language_code
from pantau.collector.near_duplicates import similarity
from pantau.collector.runner import collect_source
from pantau.core.config import FileSource, Settings
from pantau.storage.models import CollectionRun, Post

CAMPAIGN = (
    "Kami para pekerja menuntut BPJS Ketenagakerjaan segera memperbaiki aplikasi JMO yang sudah tiga hari "
    "tidak bisa dipakai untuk klaim JHT #PerbaikiJMO"
)


def _file_source(tmp_path: Path, records: list[dict[str, Any]], **options: Any) -> FileSource:
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return FileSource(name="arsip", type="file", path=str(path), **options)


def _record(external_id: str, text: str, day: int = 3, hour: int = 9, **extra: Any) -> dict[str, Any]:
    return {"id": external_id, "text": text, "created_at": f"2026-11-{day:02d}T{hour:02d}:00:00+07:00", **extra}


LANGUAGE_RECORDS = [
    _record("id", "Aplikasi JMO tidak bisa login dari pagi, tolong dibantu min"),
    _record("en", "The JMO app keeps crashing when I try to log in, please fix this"),
    _record("short", "mantap 👍"),
    _record("said-en", "Aplikasi JMO tidak bisa login dari pagi, tolong dibantu kak", lang="en"),
    _record("said-in", "The app is down again since this morning and nobody answers", lang="in"),
]


def test_language_comes_from_the_source_when_given_and_is_detected_otherwise(
    tmp_path: Path, engine: Engine, settings: Settings
) -> None:
    source = _file_source(tmp_path, LANGUAGE_RECORDS)

    collect_source(engine, settings, source)

    with Session(engine) as session:
        languages = dict(session.execute(select(Post.external_id, Post.lang)).all())
    assert languages == {"id": "id", "en": "en", "short": None, "said-en": "en", "said-in": "id"}


def test_drop_non_indonesian_keeps_indonesian_and_undetermined_posts_only(
    tmp_path: Path, sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    source = _file_source(tmp_path, LANGUAGE_RECORDS, drop_non_indonesian=True)

    outcome = collect_source(sqlite_engine, sqlite_settings, source)

    assert (outcome.fetched, outcome.inserted, outcome.skipped) == (5, 3, 2)
    with Session(sqlite_engine) as session:
        assert sorted(session.execute(select(Post.external_id)).scalars()) == ["id", "said-in", "short"]
        run = session.execute(select(CollectionRun)).scalar_one()
        assert run.details["dropped_non_indonesian"] == 2


def test_x_pseudo_language_codes_mean_not_given() -> None:
    assert [normalise_language_code(code) for code in ["in", "qme", "qht", "und", "zxx", "en", ""]] == [
        "id",
        None,
        None,
        None,
        None,
        "en",
        None,
    ]


def test_quote_reposts_and_campaign_variants_link_to_the_first_occurrence(
    tmp_path: Path, engine: Engine, settings: Settings
) -> None:
    records = [
        _record("first", CAMPAIGN, hour=8),
        _record("quote", f"rt sama min {CAMPAIGN} tolong dong", hour=9),
        _record("variant", CAMPAIGN.replace("tiga hari", "empat hari"), hour=10),
        _record("exact", f"@BPJSTKinfo {CAMPAIGN.upper()} https://t.co/abc", hour=11),
        _record("late", f"{CAMPAIGN} lagi", day=8),
        _record("other", "Kami para pekerja sudah tiga hari menunggu pencairan JHT tapi status masih diproses terus"),
        _record("short", "JMO tidak bisa dipakai"),
    ]
    source = _file_source(tmp_path, records)

    outcome = collect_source(engine, settings, source)

    assert outcome.inserted == 7
    with Session(engine) as session:
        posts = {post.external_id: post for post in session.execute(select(Post)).scalars()}
        run = session.execute(select(CollectionRun)).scalar_one()
    first_id = posts["first"].id
    links = {name: post.duplicate_of_id for name, post in posts.items()}
    assert links == {
        "first": None,
        "quote": first_id,
        "variant": first_id,
        "exact": first_id,
        "late": None,
        "other": None,
        "short": None,
    }
    assert run.details["near_duplicates_linked"] == 2
    assert run.details["copies_linked"] == 1


def test_similarity_is_about_shared_word_pairs() -> None:
    assert similarity(CAMPAIGN, f"RT {CAMPAIGN}!!") > 0.9
    assert similarity(CAMPAIGN, "Kami para pekerja minta saldo JHT dicek") < 0.2
