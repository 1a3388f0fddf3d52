"""Digest and trend query times at scale: 1,000,000 posts on SQLite and PostgreSQL, 10,000,000 on PostgreSQL.

Usage: python -m pantau.bench.queries [--sizes sqlite:1000000 postgresql:1000000 postgresql:10000000]
                                      [--repeat 5] [--workdir /tmp/pantau-bench] [--keep]

Each database is filled in SQL (bench/fill.py: a year of classified posts, ids rising with time),
then every query runs once cold and `--repeat` times warm (the median is reported), all through the
same functions the digest, the trends command and the alert check call. Peak memory is Python's own
(tracemalloc) for one run: it shows whether a query's rows are streamed or all loaded.
Targets at 1,000,000 posts: the digest (data + Markdown + HTML with charts) within 2 s, each trend
query within 300 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session

from pantau.bench.common import DEFAULT_POSTGRES, drop_database, fresh_database, machine_note, write_config
from pantau.bench.fill import fill

DIGEST_TARGET_S = 2.0
TREND_TARGET_MS = 300.0


def measure(work: Callable[[], Any], repeat: int) -> tuple[float, float, float]:
    """(cold seconds, warm median seconds, Python peak MB) of `work`."""
    started = time.perf_counter()
    work()
    cold = time.perf_counter() - started
    warm = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        warm.append(time.perf_counter() - started)
    tracemalloc.start()
    work()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return cold, statistics.median(warm), peak


def queries(engine: Any, settings: Any) -> dict[str, Callable[[], Any]]:
    from pantau.reports.digest import make_digest, render
    from pantau.reports.digest_data import build_digest_data
    from pantau.reports.trends import trend_counts
    from pantau.storage.label_counts import daily_label_counts, hourly_label_counts

    tz, labels = settings.tz, settings.label_keys
    now = datetime.now(UTC)
    day = (now.astimezone(tz) - timedelta(days=1)).date()
    weeks = settings.alerts.baseline_weeks

    def in_session(work: Callable[[Session], Any]) -> Callable[[], Any]:
        def run() -> Any:
            with Session(engine) as session:
                return work(session)

        return run

    def trend(days: int, by: str, sources: list[str] | None = None) -> Callable[[], Any]:
        return in_session(
            lambda session: trend_counts(
                session, tz, since=now - timedelta(days=days), until=now, by=by, labels=labels, sources=sources
            )
        )

    with Session(engine) as session:
        data = build_digest_data(session, settings, day)
    return {
        "digest data (queries only)": in_session(lambda session: build_digest_data(session, settings, day)),
        "digest: render md+html (no queries)": lambda: (render(data, "md"), render(data, "html")),
        "digest: make_digest md+html": lambda: make_digest(engine, settings, day, ["md", "html"]),
        "trend: 30 days by day": trend(30, "day"),
        "trend: 7 days by hour": trend(7, "hour"),
        "trend: 365 days by week": trend(365, "week"),
        "trend: 365 days by month, 1 source": trend(365, "month", ["x_jmo"]),
        "alerts: hourly counts, baseline": in_session(
            lambda session: hourly_label_counts(session, now - timedelta(weeks=weeks, days=1), now, labels)
        ),
        "digest: 14 daily counts": in_session(
            lambda session: daily_label_counts(session, [day - timedelta(days=i) for i in range(14)], tz, labels)
        ),
    }


def bench_one(backend: str, posts: int, args: argparse.Namespace) -> list[tuple[str, float, float, float]]:
    from pantau.core.config import load_settings
    from pantau.storage.db import make_engine, upgrade

    url = fresh_database(backend, args.workdir, args.postgres_url)
    try:
        engine = make_engine(url)
        upgrade(engine)
        print(f"{backend}, {posts:,} posts: filling ...", flush=True)
        seconds = fill(engine, posts)
        print(f"  filled in {seconds:.0f} s", flush=True)
        settings = load_settings(write_config(args.workdir, url))
        results = []
        for name, work in queries(engine, settings).items():
            cold, warm, peak = measure(work, args.repeat)
            results.append((name, cold, warm, peak))
            print(f"  {name:<38}{cold * 1000:>9.0f} ms cold{warm * 1000:>9.0f} ms warm{peak:>8.1f} MB", flush=True)
        engine.dispose()
        return results
    finally:
        if not args.keep:
            drop_database(url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pantau.bench.queries", description=__doc__)
    parser.add_argument("--sizes", nargs="+", default=["sqlite:1000000", "postgresql:1000000", "postgresql:10000000"])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/pantau-bench"))
    parser.add_argument("--keep", action="store_true", help="keep the filled databases")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine_note()}")
    table: dict[str, dict[str, tuple[float, float, float]]] = {}
    for size in args.sizes:
        backend, posts = size.split(":")
        for name, cold, warm, peak in bench_one(backend, int(posts), args):
            table.setdefault(name, {})[f"{backend} {int(posts):,}"] = (cold, warm, peak)
    columns = list(dict.fromkeys(column for row in table.values() for column in row))
    print()
    print(f"{'query (warm median ms / peak Python MB)':<40}" + "".join(f"{column:>24}" for column in columns))
    for name, row in table.items():
        cells = "".join(f"{row[c][1] * 1000:>15.0f} / {row[c][2]:>5.1f}" if c in row else f"{'-':>24}" for c in columns)
        print(f"{name:<40}{cells}")
    print(f"targets at 1,000,000 posts: digest <= {DIGEST_TARGET_S:.0f} s, trend queries <= {TREND_TARGET_MS:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
