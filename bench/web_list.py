"""Benchmark the triage queue at scale: 1,000,000 posts on SQLite, list page and API latency (p50/p95).

Usage: python -m pantau.bench.web_list [--posts 1000000] [--db PATH] [--reuse] [--repeat 25] [--explain]

The database is filled with bulk INSERT statements (indexes dropped during the load and rebuilt after),
so a million posts take well under a minute. Timings go through the real app in-process (routing,
auth, query, template or JSON) with a logged-in session for pages and a bearer token for the API.
Target: every list request under 200 ms at p95.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

TEMPLATES = [
    ("account_access", "udah 3 hari gak bisa login JMO, OTP gak pernah masuk"),
    ("account_access", "aktivasi akun gagal terus, data tidak ditemukan"),
    ("account_access", "reset PIN error, akun saya terkunci"),
    ("verification_data", "verifikasi wajah gagal terus padahal terang"),
    ("verification_data", "saldo JHT tidak update sejak agustus"),
    ("claims_payments", "klaim JHT sudah 2 minggu masih diproses"),
    ("claims_payments", "pencairan JKP ditolak tanpa alasan"),
    ("claims_payments", "validasi rekening gagal waktu klaim"),
    ("app_error", "aplikasi force close setelah update"),
    ("app_error", "muncul error 500 di menu kartu digital"),
    ("outage_performance", "server down dari pagi gak bisa dibuka"),
    ("outage_performance", "loading terus, timeout mulu"),
    ("customer_service", "call center 175 gak diangkat"),
    ("other_complaint", "tampilan baru bikin bingung"),
    ("not_complaint", "alhamdulillah klaim cair cepat, mantap"),
    ("not_complaint", "info layanan di mal akhir pekan ini"),
]
WORDS = ["tolong", "min", "kenapa", "sih", "lagi", "dong", "banget", "udah", "belum", "kapan", "gimana", "ya", "kak"]
SOURCES = ("x_jmo", "play_jmo", "demo")
OPEN = ("new", "acknowledged", "in_progress")
MODEL = "indobert-bench-1"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def fill(path: Path, total: int, seed: int = 1) -> None:
    """Create the schema with Alembic, then bulk-load `total` posts with labels and triage states."""
    from pantau.storage.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    rng = random.Random(seed)
    now = datetime.now(UTC)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    indexes = connection.execute(
        "SELECT name, sql FROM sqlite_master "
        "WHERE type='index' AND tbl_name IN ('post', 'post_label') AND sql IS NOT NULL"
    ).fetchall()
    for name, _ in indexes:
        connection.execute(f'DROP INDEX "{name}"')
    # The text-search triggers (migration 0007) would index row by row; one rebuild after the load is faster.
    triggers = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name='post' AND name LIKE 'post_fts_%'"
    ).fetchall()
    for name, _ in triggers:
        connection.execute(f'DROP TRIGGER "{name}"')
    post_sql = (
        "INSERT INTO post (id, source, external_id, author, author_name, url, created_at, collected_at, text, "
        "text_clean, text_redacted, lang, raw, content_hash, needs_review, status, model_version, primary_label, "
        "confidence, assignee) VALUES (?,?,?,?,?,?,?,?,?,?,?,'id','{}',?,?,?,?,?,?,?)"
    )
    label_sql = "INSERT INTO post_label (post_id, label, created_at, source, origin, score) VALUES (?,?,?,?,'model',?)"
    started = time.perf_counter()
    span = 365 * 24 * 3600
    chunk = 50_000
    for first in range(1, total + 1, chunk):
        posts, labels = [], []
        # Ids rise with created_at, as they do when posts are collected in order.
        for post_id in range(first, min(first + chunk, total + 1)):
            age = span * (1 - post_id / (total + 1))
            created = now - timedelta(seconds=age + rng.random())
            stamp = _stamp(created)
            label, text = TEMPLATES[rng.randrange(len(TEMPLATES))]
            text = f"{text} {' '.join(rng.choices(WORDS, k=rng.randint(2, 9)))} #{post_id % 997}"
            confidence = round(min(0.99, max(0.3, rng.gauss(0.8, 0.15))), 4)
            recent = age < 14 * 86400
            is_open = rng.random() < (0.85 if recent else 0.10)
            status = rng.choice(OPEN) if is_open else rng.choice(("resolved", "dismissed"))
            source = SOURCES[post_id % 3]
            posts.append(
                (
                    post_id,
                    source,
                    f"e{post_id}",
                    f"user{post_id % 5000}",
                    f"User {post_id % 5000}",
                    f"https://x.com/user/status/{post_id}",
                    stamp,
                    stamp,
                    text,
                    text,
                    text,
                    f"{post_id:040x}",
                    int(confidence < 0.6),
                    status,
                    MODEL,
                    label,
                    confidence,
                    None if status == "new" else f"agent{post_id % 7}",
                )
            )
            labels.append((post_id, label, stamp, source, confidence))
            if label != "not_complaint" and rng.random() < 0.15:
                labels.append(
                    (post_id, "app_error" if label != "app_error" else "outage_performance", stamp, source, 0.5)
                )
        connection.executemany(post_sql, posts)
        connection.executemany(label_sql, labels)
        print(f"\r  loaded {min(first + chunk - 1, total):,} posts", end="", file=sys.stderr, flush=True)
    connection.commit()
    print(
        f"\n  rows in {time.perf_counter() - started:.1f} s; rebuilding {len(indexes)} indexes and the text index",
        file=sys.stderr,
    )
    for _, sql in indexes:
        connection.execute(sql)
    if triggers:
        connection.execute("INSERT INTO post_fts (post_fts) VALUES ('rebuild')")
        for _, sql in triggers:
            connection.execute(sql)
    connection.commit()
    connection.close()
    print(f"  done in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def _deep_cursor(path: Path, offset: int, where: str = "") -> str:
    from pantau.storage.queue import SORT_KEYS, encode_cursor

    connection = sqlite3.connect(path)
    # OFFSET only to pick a far-away row for the benchmark; the app never uses it.
    created, post_id = connection.execute(
        f"SELECT created_at, id FROM post {where} ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET {offset}"
    ).fetchone()
    connection.close()
    moment = datetime.strptime(created, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
    return encode_cursor(SORT_KEYS["newest"], moment, post_id)


def measure(path: Path, repeat: int, explain: bool) -> list[tuple[str, float, float, int]]:
    from starlette.testclient import TestClient

    from pantau.core.config import load_settings
    from pantau.storage.db import make_engine
    from pantau.web import create_app

    os.environ.setdefault("PANTAU_SESSION_SECRET", "bench")
    os.environ["PANTAU_DATABASE_URL"] = f"sqlite:///{path}"
    settings = load_settings()
    engine = make_engine(settings.database_url)
    from sqlmodel import Session

    from pantau.storage.users import add_user, get_user, issue_token

    with Session(engine) as session:
        user = get_user(session, "bench") or add_user(session, "bench", "bench-password", "triager")
        token = issue_token(session, user)
        session.commit()
    app = create_app(settings, engine)
    client = TestClient(app)
    login = client.get("/login").text
    csrf = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    client.post("/login", data={"username": "bench", "password": "bench-password", "csrf_token": csrf})
    deep_all = _deep_cursor(path, 500_000)
    deep_open = _deep_cursor(path, 100_000, "WHERE status IN ('new','acknowledged','in_progress')")
    since = (datetime.now(UTC) - timedelta(days=60)).strftime("%Y-%m-%d")
    until = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%d")
    cases = [
        ("first page (open, newest)", ""),
        ("filtered: label+review", "label=account_access&review=yes"),
        ("filtered: source+date range, all statuses", f"source=play_jmo&since={since}&until={until}&status=all"),
        ("filtered: confidence 0.3-0.5", "min_conf=0.3&max_conf=0.5"),
        ("least confident first", "sort=least_confident"),
        ("least confident, date range 30-60 days ago", f"sort=least_confident&since={since}&until={until}"),
        ("filtered: status in_progress + customer_service", "status=in_progress&label=customer_service"),
        ("deep keyset page (open, 100k in)", f"cursor={deep_open}"),
        ("deep keyset page (all, 500k in)", f"status=all&cursor={deep_all}"),
        ("text search 'otp' (open)", "q=otp"),
        ("text search 'force close', all statuses", "q=force+close&status=all"),
        ("text search, no match", "q=zzzz-no-such-text&status=all"),
        ("text search 'JHT' + label, least confident", "q=JHT&label=claims_payments&sort=least_confident"),
        ("text search rare tag '#996' + source, all", "q=%23996&source=x_jmo&status=all"),
        ("text search, deep keyset page (all, 500k in)", f"q=gagal&status=all&cursor={deep_all}"),
        ("text search 2 chars 'zq', no match (trigram range)", "q=zq&status=all"),
        ("text search 2 chars 'al' (common: queue order)", "q=al&status=all"),
        ("text search 1 char '#' + source (common)", "q=%23&source=x_jmo"),
        ("text search common 'gagal' + a label it never has", "q=gagal&label=customer_service"),
        ("text search common 'gagal' + a big label (app_error)", "q=gagal&label=app_error"),
        ("text search common 'gagal' + status it never has", "q=gagal&status=in_progress&source=play_jmo"),
    ]
    results = []
    headers = {"Authorization": f"Bearer {token}"}
    for name, query in cases:
        for kind, url, extra in (("page", f"/queue?{query}", {}), ("api ", f"/api/posts?{query}", headers)):
            timings = []
            status = 0
            for attempt in range(repeat + 2):
                started = time.perf_counter()
                response = client.get(url, headers=extra)
                elapsed = (time.perf_counter() - started) * 1000
                status = response.status_code
                if attempt >= 2:
                    timings.append(elapsed)
            timings.sort()
            p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
            results.append((f"{kind} {name}", statistics.median(timings), p95, status))
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        status = client.get("/dashboard").status_code
        timings.append((time.perf_counter() - started) * 1000)
    results.append(("page dashboard (not a list page; 3 runs)", statistics.median(timings), max(timings), status))
    if explain:
        _explain(engine)
    engine.dispose()
    return results


def _explain(engine) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.dialects import sqlite
    from sqlmodel import Session

    from pantau.storage.models import Post
    from pantau.storage.queue import SORT_KEYS, QueueFilter, _apply_filters, _sorted

    for filters in (QueueFilter(statuses=list(OPEN)), QueueFilter(statuses=list(OPEN), labels=["account_access"])):
        sort = SORT_KEYS["newest"]
        query = _sorted(_apply_filters(Post.__table__.select(), filters, "sqlite", sort.column), sort, None).limit(51)
        sql = str(query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
        with Session(engine) as session:
            plan = session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql).fetchall()
        print("\n".join(str(row[-1]) for row in plan), file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=None, help="Database file (default: a temporary one).")
    parser.add_argument("--reuse", action="store_true", help="Use --db as it is, without filling it.")
    parser.add_argument("--repeat", type=int, default=25)
    parser.add_argument("--explain", action="store_true", help="Print SQLite's plans for the main queries.")
    args = parser.parse_args()
    directory = None
    path = args.db
    if path is None:
        directory = tempfile.TemporaryDirectory()
        path = Path(directory.name) / "bench.db"
    if not args.reuse:
        path.unlink(missing_ok=True)
        print(f"filling {path} with {args.posts:,} posts", file=sys.stderr)
        fill(path, args.posts)
    results = measure(path, args.repeat, args.explain)
    print(f"\nqueue latency at {args.posts:,} posts (SQLite, in-process, {args.repeat} runs each)")
    print(f"{'request':62} {'p50 ms':>8} {'p95 ms':>8}  status")
    for name, p50, p95, status in results:
        flag = "" if p95 < 200 else "  (over 200 ms)"
        print(f"{name:62} {p50:8.1f} {p95:8.1f}  {status}{flag}")
    if directory is not None:
        directory.cleanup()


if __name__ == "__main__":
    main()
