"""Text search in the queue (`q`): the trigram index of migration 0007, through the real app on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, delete, insert, inspect, text, update
from sqlmodel import Session
from starlette.testclient import TestClient
from webdemo import DemoPost, login, make_user, store_posts

from pantau.storage import queue, text_search
from pantau.storage.db import alembic_config, current_revision, head_revision, upgrade
from pantau.storage.models import Post
from pantau.storage.queue import SORT_KEYS, QueueFilter, list_queue
from pantau.storage.text_search import deferred_indexing

NOW = datetime.now(UTC).replace(microsecond=0)
HOSTILE = 'kode "ERR-42" NEAR(kode, 5) a*b -c (x OR y) ^z 100% under_score back\\slash'


POSTS = [
    DemoPost("a", "Gak bisa LOGIN JMO, OTP gak masuk", NOW - timedelta(hours=1), ["account_access"], 0.95),
    DemoPost("b", "Klaim JHT belum cair, loginnya aman", NOW - timedelta(hours=2), ["claims_payments"], 0.45),
    DemoPost("c", "JMO force close terus", NOW - timedelta(hours=3), ["app_error", "account_access"], 0.7),
    DemoPost("d", "otp tidak terkirim ke HP", NOW - timedelta(days=3), ["account_access"], 0.55, source="play_jmo"),
    DemoPost("e", HOSTILE, NOW - timedelta(days=4), ["app_error"], 0.9),
    DemoPost("f", "Server down, Otp juga", NOW - timedelta(days=10), ["outage_performance"], 0.8),
]


@pytest.fixture
def posts(engine: Engine) -> dict[str, int]:
    return store_posts(engine, POSTS)


@pytest.fixture
def auth(engine: Engine) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_user(engine, 'siti', 'triager', token=True)}"}


@pytest.fixture(params=["index", "walk", "narrowed: from the index", "narrowed: from the labels"])
def plan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every SQLite plan gives the same answers: matches read from the index, posts walked in queue order,
    and for a search that other filters make rare, the index's matches or the label filter's posts first."""
    if request.param != "index":
        monkeypatch.setattr(text_search, "INDEX_THRESHOLD", 0)
    if request.param.startswith("narrowed"):
        monkeypatch.setattr(queue, "PROBE_POSTS", 0)  # the probe finds nothing: the combination looks rare
        monkeypatch.setattr(queue, "LABEL_ROW_COST", 0 if request.param.endswith("labels") else 10**9)
    return str(request.param)


def _ids(client: TestClient, auth: dict[str, str], query: str) -> list[int]:
    response = client.get(f"/api/posts?status=all&{query}", headers=auth)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def _all_pages(client: TestClient, auth: dict[str, str], query: str) -> list[int]:
    seen: list[int] = []
    cursor = ""
    while True:
        page = client.get(f"/api/posts?status=all&limit=1&{query}{cursor}", headers=auth).json()
        seen += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            return seen
        cursor = f"&cursor={page['next_cursor']}"


def test_search_is_case_insensitive_substring_combined_with_filters_sorts_and_pages(
    client: TestClient, posts: dict[str, int], auth: dict[str, str], plan: str
) -> None:
    p = posts
    for query in ("otp", "OTP", "oTp"):
        assert _ids(client, auth, f"q={query}") == [p["a"], p["d"], p["f"]]
    assert _ids(client, auth, "q=login") == [p["a"], p["b"]], "a substring: 'loginnya' matches too"
    assert _ids(client, auth, "q=force+close") == [p["c"]]
    assert _ids(client, auth, "q=close+force") == []
    assert _ids(client, auth, "q=otp&source=play_jmo") == [p["d"]]
    assert _ids(client, auth, "q=otp&label=account_access") == [p["a"], p["d"]]
    assert _ids(client, auth, "q=otp&label=claims_payments") == [], "a common word and a label it never has"
    assert _ids(client, auth, "q=otp&label=account_access&source=play_jmo") == [p["d"]]
    assert _ids(client, auth, "q=otp&min_conf=0.6") == [p["a"], p["f"]]
    assert _ids(client, auth, "q=otp&sort=least_confident") == [p["d"], p["f"], p["a"]]
    assert _all_pages(client, auth, "q=otp") == [p["a"], p["d"], p["f"]]
    assert _all_pages(client, auth, "q=otp&sort=least_confident") == [p["d"], p["f"], p["a"]]
    assert _ids(client, auth, "q=zzzz-nothing") == []


SHORT_POSTS = [
    DemoPost("s1", "ok", NOW - timedelta(days=20), ["not_complaint"]),
    DemoPost("s2", "kesel 😡", NOW - timedelta(days=21), ["other_complaint"]),
    DemoPost("s3", "Éh server", NOW - timedelta(days=22), ["outage_performance"]),
]


def test_short_searches_match_anywhere_in_the_text(
    engine: Engine, client: TestClient, posts: dict[str, int], auth: dict[str, str], plan: str
) -> None:
    p = {**posts, **store_posts(engine, SHORT_POSTS)}
    assert _ids(client, auth, "q=HP") == [p["d"]], "at the very end of the text"
    assert _ids(client, auth, "q=ot") == [p["a"], p["d"], p["f"]]
    assert _ids(client, auth, "q=OK") == [p["s1"]], "the whole text"
    newest_first = [*POSTS, *SHORT_POSTS]
    assert _ids(client, auth, "q=k") == [p[post.external_id] for post in newest_first if "k" in post.text.lower()]
    assert _ids(client, auth, "q=😡") == [p["s2"]]
    assert _ids(client, auth, "q=zq") == []
    assert _ids(client, auth, "q=%25") == [p["e"]], "% is literal"
    assert _ids(client, auth, "q=_") == [p["e"]], "_ is literal"
    if engine.dialect.name == "sqlite":  # PostgreSQL folds non-ASCII letters as its LC_CTYPE says
        assert _ids(client, auth, "q=éh") == [p["s3"]]
        with Session(engine) as session:
            assert text_search.plan_search(session, "zq").from_index, "a rare short search is served by the index"


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '""',
        '"ERR-42"',
        "ERR-42",
        "NEAR(kode, 5)",
        "a*b",
        "-c",
        "(x OR y)",
        "^z",
        "100%",
        "under_score",
        "back\\slash",
        "OR",
        "AND NOT",
        "*",
        "'; DROP TABLE post; --",
        "x:y",
        "{post}",
        "otp NOT",
    ],
)
def test_fts_syntax_is_taken_literally(
    client: TestClient, posts: dict[str, int], auth: dict[str, str], plan: str, query: str
) -> None:
    response = client.get("/api/posts", params={"q": query, "status": "all"}, headers=auth)
    assert response.status_code == 200, response.text
    expected = [posts[post.external_id] for post in POSTS if query.lower() in post.text.lower()]
    assert [item["id"] for item in response.json()["items"]] == expected
    login(client, "siti")
    page = client.get("/queue", params={"q": query, "status": "all"})
    assert page.status_code == 200
    assert {post_id for post_id in posts.values() if f'data-id="{post_id}"' in page.text} == set(expected)


def test_the_queue_page_searches_too(engine: Engine, client: TestClient, posts: dict[str, int]) -> None:
    make_user(engine, "budi", "viewer")
    login(client, "budi")
    html = client.get("/queue", params={"q": '"err-42" near(', "status": "all"}).text
    assert f'data-id="{posts["e"]}"' in html and f'data-id="{posts["a"]}"' not in html


def test_inserts_updates_and_deletes_keep_the_index_in_step(
    engine: Engine, client: TestClient, posts: dict[str, int], auth: dict[str, str], plan: str
) -> None:
    later = store_posts(
        engine,
        [
            DemoPost("g", "Aktivasi akun GAGAL terus", NOW, ["account_access"]),
            DemoPost("h", "Menu KARTU ÉLEKTRONIK error", NOW - timedelta(minutes=1), ["app_error"]),
        ],
    )
    assert _ids(client, auth, "q=gagal") == [later["g"]]
    if engine.dialect.name == "sqlite":  # PostgreSQL folds non-ASCII letters as its LC_CTYPE says
        assert _ids(client, auth, "q=élektronik") == [later["h"]]
    with Session(engine) as session:
        session.execute(
            update(Post).where(Post.id == posts["c"]).values(text_redacted="Saldo JHT tidak muncul", text_clean="x")
        )
        session.execute(update(Post).where(Post.id == posts["a"]).values(status="resolved", assignee="budi"))
        session.execute(delete(Post).where(Post.id == posts["f"]))
        session.commit()
    assert _ids(client, auth, "q=force+close") == []
    assert _ids(client, auth, "q=saldo+jht") == [posts["c"]]
    assert _ids(client, auth, "q=otp") == [posts["a"], posts["d"]]
    _assert_index_consistent(engine)


def _assert_index_consistent(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            check = "INSERT INTO post_fts (post_fts, rank) VALUES ('integrity-check', 1)"
            connection.exec_driver_sql(check)  # raises if the index and post.text_redacted disagree
            assert connection.exec_driver_sql("SELECT count(*) FROM post_fts_pending").scalar_one() == 0


def _raw_post(connection: Connection, key: str, text: str) -> None:
    connection.execute(
        insert(Post).values(
            source="raw", external_id=key, created_at=NOW, text_clean=text, text_redacted=text, content_hash=key
        )
    )


def test_a_deferred_bulk_insert_indexes_its_posts_even_when_it_fails_halfway(
    engine: Engine, client: TestClient, posts: dict[str, int], auth: dict[str, str], plan: str
) -> None:
    with Session(engine) as session:
        connection = session.connection()
        with deferred_indexing(connection):
            _raw_post(connection, "r1", "Saldo JHT nol semua")
            _raw_post(connection, "r2", "hapus saya nanti")
            connection.execute(delete(Post).where(Post.external_id == "r2"))  # deleted while its note is pending
        with pytest.raises(RuntimeError), deferred_indexing(connection):
            _raw_post(connection, "r3", "Saldo JHT minus")
            raise RuntimeError("the caller handles this and commits what it has")
        session.commit()
    found = _ids(client, auth, "q=saldo+jht")
    assert len(found) == 2 and _ids(client, auth, "q=hapus+saya") == []
    _assert_index_consistent(engine)


def _search_objects(engine: Engine) -> set[str]:
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE name LIKE 'post_fts%' AND type IN ('table', 'trigger')"
            )
            return {name for (name,) in rows}
    return {index["name"] for index in inspect(engine).get_indexes("post") if "trgm" in index["name"]}


def test_migration_upgrade_backfills_and_downgrade_removes_the_index(engine: Engine, posts: dict[str, int]) -> None:
    assert current_revision(engine) == head_revision()
    expected = (
        {"post_fts", "post_fts_insert", "post_fts_update", "post_fts_delete"}
        if engine.dialect.name == "sqlite"
        else {"ix_post_text_redacted_trgm"}
    )
    assert expected <= _search_objects(engine)
    command.downgrade(alembic_config(engine), "0006_reporting_indexes")
    assert _search_objects(engine) == set()
    with Session(engine) as session:  # posts written while the index is gone are indexed by the upgrade
        session.execute(update(Post).where(Post.id == posts["b"]).values(text_redacted="Pencairan JKP ditolak"))
        session.commit()
    upgrade(engine)
    assert expected <= _search_objects(engine)
    with Session(engine) as session:
        page = list_queue(session, QueueFilter(text="jkp DITOLAK"), sort=SORT_KEYS["newest"])
        assert [row.id for row in page.rows] == [posts["b"]]
        assert text_search.plan_search(session, "jkp").text == "jkp"
        if engine.dialect.name == "sqlite":
            count = session.connection().execute(text("SELECT count(*) FROM post_fts WHERE post_fts MATCH 'otp'"))
            assert count.scalar_one() == 3
