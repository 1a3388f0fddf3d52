"""Import throughput through the real `pantau import`: posts/s and peak RSS at 100k and 1M posts.

Usage: python -m pantau.bench.import_throughput [--posts 100000 1000000] [--backends sqlite postgresql]
                                                [--workers auto|N] [--modes auto bulk row-wise]
                                                [--workdir /tmp/pantau-bench]

Each import runs as its own `pantau import` process into a fresh database (a new SQLite file, or a
new PostgreSQL schema), so its wall time, CPU time and peak RSS are its own. The same file is then
imported a second time (every post already stored), as a rerun after a crash would. Input files
come from bench/datagen.py and are kept in the work directory between runs. On SQLite, `--modes bulk
row-wise` imports each file both ways (`--bulk`: indexes rebuilt at the end; `--no-bulk`: kept up to
date per post), side by side; `auto` lets `pantau import` choose, as users get it.
Target: at least 20,000 posts/s on SQLite; peak RSS flat from 100k to 1M posts.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from pantau.bench.common import (
    DEFAULT_POSTGRES,
    PANTAU,
    drop_database,
    fresh_database,
    machine_note,
    measure,
    upgrade,
    write_config,
)
from pantau.bench.datagen import write_jsonl

TARGET_POSTS_PER_S = 20_000


def input_file(workdir: Path, posts: int) -> Path:
    path = workdir / f"posts-{posts}.jsonl"
    if not path.is_file():
        print(f"writing {path} ...", flush=True)
        write_jsonl(path.with_suffix(".tmp"), posts)
        path.with_suffix(".tmp").rename(path)
    return path


def last_run_seconds(url: str) -> float:
    """How long the last import's collection run took by its own clock (process start-up excluded)."""
    from sqlalchemy import select
    from sqlmodel import Session

    from pantau.storage.db import make_engine
    from pantau.storage.models import CollectionRun

    engine = make_engine(url)
    with Session(engine) as session:
        run = session.execute(select(CollectionRun).order_by(CollectionRun.id.desc()).limit(1)).scalar_one()
        seconds = (run.finished_at - run.started_at).total_seconds()
    engine.dispose()
    return seconds


MODE_FLAGS = {"auto": [], "bulk": ["--bulk"], "row-wise": ["--no-bulk"]}


def run_import(path: Path, config: Path, workers: str, mode: str) -> tuple[float, float, float, str]:
    command = [str(PANTAU), "import", str(path), "--source", "bench", *MODE_FLAGS[mode]]
    if workers != "auto":
        command += ["--workers", workers]
    environment = {**os.environ, "PANTAU_CONFIG": str(config)}
    environment.pop("PANTAU_DATABASE_URL", None)
    result = measure(command, environment)
    if result.returncode != 0:
        raise SystemExit(f"import failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return result.seconds, result.cpu_seconds, result.peak_rss_mb, result.stdout.strip().splitlines()[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pantau.bench.import_throughput", description=__doc__)
    parser.add_argument("--posts", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--workers", default="auto", help="auto, or a number of worker processes (0: in-process)")
    parser.add_argument(
        "--modes", nargs="+", default=["auto"], choices=list(MODE_FLAGS), help="SQLite import paths to measure"
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/pantau-bench"))
    parser.add_argument("--no-rerun", action="store_true", help="skip the second import of the same file")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    files = {posts: input_file(args.workdir, posts) for posts in args.posts}
    print(f"machine: {machine_note()}; workers: {args.workers}")
    header = (
        f"{'backend':<11}{'mode':<9}{'posts':>10}{'run':>7}{'wall s':>8}{'posts/s':>9}{'in-run s':>10}{'posts/s':>9}"
        f"{'CPU s':>8}{'peak RSS MB':>13}"
    )
    rows: list[str] = []
    peaks: dict[tuple[str, str, int], float] = {}
    for backend in args.backends:
        for posts, path in files.items():
            for mode in args.modes if backend == "sqlite" else ["auto"]:
                url = fresh_database(backend, args.workdir, args.postgres_url)
                try:
                    upgrade(url)
                    config = write_config(args.workdir, url)
                    runs = ["first"] if args.no_rerun else ["first", "rerun"]
                    for label in runs:
                        seconds, cpu, rss, summary = run_import(path, config, args.workers, mode)
                        in_run = last_run_seconds(url)
                        peaks[(backend, mode, posts)] = max(peaks.get((backend, mode, posts), 0.0), rss)
                        rows.append(
                            f"{backend:<11}{mode:<9}{posts:>10,}{label:>7}{seconds:>8.1f}{posts / seconds:>9,.0f}"
                            f"{in_run:>10.1f}{posts / in_run:>9,.0f}{cpu:>8.1f}{rss:>13.0f}"
                        )
                        print(rows[-1], "|", summary, flush=True)
                    config.unlink()
                finally:
                    drop_database(url)
    print()
    print(header)
    print("\n".join(rows))
    for backend, mode in sorted({(b, m) for b, m, _ in peaks}):
        sizes = sorted(posts for b, m, posts in peaks if (b, m) == (backend, mode))
        if len(sizes) >= 2:
            small, large = sizes[0], sizes[-1]
            low, high = peaks[(backend, mode, small)], peaks[(backend, mode, large)]
            print(
                f"{backend} ({mode}): peak RSS {low:.0f} MB at {small:,} vs {high:.0f} MB at {large:,} posts: "
                f"x{high / low:.2f} for x{large / small:.0f} the posts"
            )
    print("wall s: the whole `pantau import` process; in-run s: its collection run (start-up and imports excluded)")
    print(f"target: {TARGET_POSTS_PER_S:,} posts/s on SQLite (first import)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
