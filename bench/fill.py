"""Fill a Pantau database with N classified posts in SQL (generate_series / a recursive CTE), fast.

Posts are spread evenly over `days` days ending now, ids rising with created_at as when collected;
every post has a model verdict and one effective label (about 20% of complaints a second one),
statuses as when triage keeps up (the last 14 days 85% open, older posts 10% open), one post in
seven flagged for review, and about 1% carry a status change in triage_event.
Secondary indexes are dropped during the load and rebuilt from their own definitions afterwards.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

LABELS = (
    "account_access",
    "verification_data",
    "claims_payments",
    "app_error",
    "outage_performance",
    "customer_service",
    "other_complaint",
    "not_complaint",
)
MODEL = "bench-model-1"
CHUNK = 1_000_000


def _label_case(expression: str) -> str:
    whens = " ".join(f"WHEN {index} THEN '{label}'" for index, label in enumerate(LABELS))
    return f"CASE ({expression}) {whens} END"


def _status_case(expression: str, recent_from: int) -> str:
    """Posts of the last 14 days mostly open (85%), older ones mostly closed (10% open), as triage keeps up."""

    def shares(new: int, acknowledged: int, in_progress: int, resolved: int) -> str:
        return (
            f"CASE WHEN ({expression}) < {new} THEN 'new' WHEN ({expression}) < {acknowledged} THEN 'acknowledged' "
            f"WHEN ({expression}) < {in_progress} THEN 'in_progress' WHEN ({expression}) < {resolved} THEN 'resolved' "
            "ELSE 'dismissed' END"
        )

    return f"CASE WHEN i >= {recent_from} THEN {shares(60, 75, 85, 95)} ELSE {shares(6, 8, 10, 80)} END"


def _post_select(dialect: str, first: int, last: int, start: datetime, step: float, recent_from: int) -> str:
    label = _label_case("(i * 7 + i / 13) % 8")
    status = _status_case("(i * 31) % 100", recent_from)
    if dialect == "postgresql":
        series = f"generate_series({first}, {last}) AS i"
        created = f"(TIMESTAMPTZ '{start.isoformat()}' + (i * {step}) * INTERVAL '1 second')"
        hashed, flag = "md5(i::text)", "(i % 7 = 0)"
    else:
        series = f"s(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM s WHERE i < {last})"
        offset = f"'+' || CAST(i * {step} AS INTEGER) || ' seconds'"
        stamp = f"strftime('%Y-%m-%d %H:%M:%S', '{start:%Y-%m-%d %H:%M:%S}', {offset})"
        created = f"({stamp} || '.000000')"
        hashed, flag = "printf('%040x', i)", "(i % 7 = 0)"
    columns = (
        "id, source, external_id, author, url, created_at, collected_at, text, text_clean, text_redacted, lang, raw, "
        "content_hash, simhash, model_version, primary_label, confidence, needs_review, status"
    )
    values = (
        f"i, CASE i % 3 WHEN 0 THEN 'x_jmo' WHEN 1 THEN 'play_jmo' ELSE 'demo' END, 'b' || i, 'user' || (i % 5000), "
        f"'https://x.com/i/web/status/' || i, {created}, {created}, "
        f"'keluhan nomor ' || i || ' tidak bisa login server down tolong min', "
        f"'keluhan nomor ' || i || ' tidak bisa login server down tolong min', "
        f"'keluhan nomor ' || i || ' tidak bisa login server down tolong min', 'id', '{{}}', {hashed}, 0, "
        f"'{MODEL}', {label}, 0.4 + (i % 60) / 100.0, {flag}, {status}"
    )
    if dialect == "postgresql":
        return f"INSERT INTO post ({columns}) SELECT {values} FROM {series}"
    return f"WITH RECURSIVE {series} INSERT INTO post ({columns}) SELECT {values} FROM s"


def _secondary_indexes(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            rows = connection.execute(
                text(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                    "AND tablename IN ('post', 'post_label') AND indexname LIKE 'ix_%'"
                )
            ).all()
        else:
            rows = connection.execute(
                text(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('post', 'post_label') "
                    "AND sql IS NOT NULL"
                )
            ).all()
    return [(str(name), str(sql)) for name, sql in rows]


def fill(engine: Engine, posts: int, *, days: int = 365, say=print) -> float:  # type: ignore[no-untyped-def]
    """Insert `posts` posts (ids 1..posts) with labels; returns the seconds it took."""
    started = time.perf_counter()
    dialect = engine.dialect.name
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=days)
    step = days * 86400 / posts
    recent_from = int(posts * (1 - 14 / days))
    indexes = _secondary_indexes(engine)
    with engine.begin() as connection:
        if dialect == "sqlite":
            connection.exec_driver_sql("PRAGMA synchronous=OFF")
        for name, _ in indexes:
            connection.execute(text(f'DROP INDEX "{name}"'))
    for first in range(1, posts + 1, CHUNK):
        last = min(first + CHUNK - 1, posts)
        with engine.begin() as connection:
            connection.execute(text(_post_select(dialect, first, last, start, step, recent_from)))
            connection.execute(
                text(
                    "INSERT INTO post_label (post_id, label, created_at, source, origin, score) "
                    f"SELECT id, primary_label, created_at, source, 'model', confidence FROM post "
                    f"WHERE id BETWEEN {first} AND {last}"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO post_label (post_id, label, created_at, source, origin, score) "
                    "SELECT id, CASE WHEN primary_label = 'app_error' THEN 'outage_performance' ELSE 'app_error' END, "
                    f"created_at, source, 'model', 0.5 FROM post WHERE id BETWEEN {first} AND {last} "
                    "AND id % 5 = 0 AND primary_label <> 'not_complaint'"
                )
            )
            cast = "::json" if dialect == "postgresql" else ""
            connection.execute(
                text(
                    "INSERT INTO triage_event (post_id, actor, at, field, old_value, new_value) "
                    f"SELECT id, 'agent', created_at, 'status', '\"new\"'{cast}, ('\"' || status || '\"'){cast} "
                    f"FROM post WHERE id BETWEEN {first} AND {last} AND id % 97 = 0 AND status <> 'new'"
                )
            )
        say(f"  loaded {last:,} posts ({time.perf_counter() - started:.0f} s)")
    say(f"  rebuilding {len(indexes)} indexes")
    with engine.begin() as connection:
        for _, sql in indexes:
            connection.execute(text(sql))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if dialect == "postgresql":
            connection.execute(text("SELECT setval(pg_get_serial_sequence('post', 'id'), (SELECT max(id) FROM post))"))
            connection.execute(text("VACUUM ANALYZE"))  # what autovacuum reaches in a running system
        else:
            connection.execute(text("ANALYZE"))
    return time.perf_counter() - started


if __name__ == "__main__":  # python -m pantau.bench.fill URL N
    from pantau.storage.db import make_engine, upgrade

    target = make_engine(sys.argv[1])
    upgrade(target)
    print(f"filled in {fill(target, int(sys.argv[2])):.0f} s")
