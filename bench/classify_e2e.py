"""Classification end to end through the database with the shipped model: posts/s and peak RSS.

Usage: python -m pantau.bench.classify_e2e [--posts 3000] [--backends sqlite postgresql] [--threads 1 2]

For each backend and thread count a fresh process stores N pending posts (bench/datagen texts), loads
the model, times the model alone on the same texts, then times `classify_stored` (what `pantau
classify --pending` and the scheduler run: read pending posts, predict, write verdicts, history and
effective labels, commit per chunk). The ratio shows what the database adds to the model's cost.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from pantau.bench.common import DEFAULT_POSTGRES, drop_database, fresh_database, machine_note, write_config

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "classifier" / "default_model"


def worker(backend: str, posts: int, threads: int, model: Path, workdir: Path, postgres_url: str) -> dict[str, float]:
    from sqlmodel import Session

    from pantau.bench.datagen import records
    from pantau.collector.base import RawPost
    from pantau.collector.prepare import prepare_page
    from pantau.core.config import load_settings
    from pantau.pipeline.classify import classify_stored, load_classifier
    from pantau.storage.db import make_engine, upgrade
    from pantau.storage.posts import upsert_posts

    url = fresh_database(backend, workdir, postgres_url)
    try:
        settings = load_settings(write_config(workdir, url, classifier={"model_dir": str(model), "threads": threads}))
        engine = make_engine(url)
        upgrade(engine)
        raw = [
            RawPost(external_id=str(r["id"]), text=str(r["text"]), created_at=_when(str(r["created_at"])))
            for r in records(posts, days=30)
        ]
        with Session(engine) as session:
            upsert_posts(session, prepare_page("bench", raw).rows)
            session.commit()
        started = time.perf_counter()
        classifier = load_classifier(settings, model)
        load_seconds = time.perf_counter() - started
        texts = [post.text for post in raw]
        classifier.predict(texts[:64], batch_size=settings.classifier.batch_size)
        started = time.perf_counter()
        classifier.predict(texts, batch_size=settings.classifier.batch_size)
        model_seconds = time.perf_counter() - started
        started = time.perf_counter()
        outcome = classify_stored(engine, settings, classifier)
        e2e_seconds = time.perf_counter() - started
        assert outcome.classified == posts, outcome
        engine.dispose()
    finally:
        drop_database(url)
    return {
        "load_s": round(load_seconds, 2),
        "model_posts_per_s": round(posts / model_seconds, 1),
        "e2e_posts_per_s": round(posts / e2e_seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _when(text: str):  # type: ignore[no-untyped-def]
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pantau.bench.classify_e2e", description=__doc__)
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/pantau-bench"))
    parser.add_argument("--worker", nargs=2, metavar=("BACKEND", "THREADS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.worker:
        backend, threads = args.worker[0], int(args.worker[1])
        print(json.dumps(worker(backend, args.posts, threads, args.model, args.workdir, args.postgres_url)))
        return 0
    if not (args.model / "model.safetensors").is_file():
        print(f"no model at {args.model}; nothing to measure")
        return 1
    print(f"machine: {machine_note()}; model {args.model.name}; {args.posts:,} posts per run")
    columns = f"{'threads':>8}{'load s':>8}{'model posts/s':>15}{'e2e posts/s':>13}{'e2e/model':>11}{'RSS MB':>8}"
    print(f"{'backend':<12}{columns}")
    for backend in args.backends:
        for threads in args.threads:
            command = [
                sys.executable, "-m", "pantau.bench.classify_e2e", "--worker", backend, str(threads),
                "--posts", str(args.posts), "--model", str(args.model), "--workdir", str(args.workdir),
                "--postgres-url", args.postgres_url,
            ]  # fmt: skip
            result = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy(), check=False)
            if result.returncode != 0:
                print(f"{backend} worker failed:\n{result.stderr[-2000:]}")
                return 1
            f = json.loads(result.stdout.strip().splitlines()[-1])
            ratio = f["e2e_posts_per_s"] / f["model_posts_per_s"]
            print(
                f"{backend:<12}{threads:>8}{f['load_s']:>8.1f}{f['model_posts_per_s']:>15.0f}"
                f"{f['e2e_posts_per_s']:>13.0f}{ratio:>11.2f}{f['peak_rss_mb']:>8.0f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
