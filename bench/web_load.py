"""Bounded load on the web app: 20 concurrent users against a real `pantau serve` on loopback.

Usage: python -m pantau.bench.web_load [--users 20] [--seconds 30] [--posts 100000] [--backend sqlite]

The database is filled in SQL (bench/fill.py), one triager account is created, and each simulated
user logs in through the real form (pages) and holds an API token (JSON), then loops: the queue page,
a page of the queue API, one post's detail from the API, the dashboard API. Latencies are measured
client-side per request; any non-2xx answer or transport error counts as an error (target: none).
The load generator shares the machine with the server, so figures are a floor, not a ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from pantau.bench.common import DEFAULT_POSTGRES, PANTAU, drop_database, fresh_database, machine_note, write_config
from pantau.bench.fill import fill

PASSWORD = "load-test-password-1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare(url: str, posts: int) -> str:
    """Schema, posts, and one triager with an API token; returns the token."""
    from sqlmodel import Session

    from pantau.storage.db import make_engine, upgrade
    from pantau.storage.users import add_user, issue_token

    engine = make_engine(url)
    upgrade(engine)
    fill(engine, posts, say=lambda line: None)
    with Session(engine) as session:
        user = add_user(session, "loadtest", PASSWORD, "triager")
        token = issue_token(session, user)
        session.commit()
    engine.dispose()
    return token


async def user_loop(base: str, token: str, deadline: float, tally: Tally) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as pages:
        form = await pages.get("/login")
        match = CSRF.search(form.text)
        fields = {"username": "loadtest", "password": PASSWORD, "csrf_token": match.group(1) if match else ""}
        await pages.post("/login", data=fields)
        api = {"Authorization": f"Bearer {token}"}
        post_id = None
        while time.monotonic() < deadline:
            requests = [("queue page", "/queue", None), ("api: queue page", "/api/posts?limit=50", api)]
            if post_id is not None:
                requests.append(("api: post detail", f"/api/posts/{post_id}", api))
            requests.append(("api: dashboard", "/api/dashboard", api))
            for name, path, headers in requests:
                started = time.perf_counter()
                try:
                    response = await pages.get(path, headers=headers)
                    ok = 200 <= response.status_code < 300
                    detail = f"{response.status_code} {response.text[:120]!r}"
                except httpx.HTTPError as exc:
                    ok, response, detail = False, None, f"{type(exc).__name__}: {exc}"
                tally.latencies[name].append(time.perf_counter() - started)
                if not ok:
                    tally.errors[name] += 1
                    if len(tally.samples) < 5:
                        tally.samples.append(f"{name}: {detail}")
                elif name == "api: queue page" and response is not None and post_id is None:
                    items = response.json().get("items") or []
                    post_id = items[0]["id"] if items else None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def load_test(url: str, *, users: int, seconds: float, posts: int, workdir: Path) -> tuple[Tally, float]:
    """Fill the database at `url`, serve it with `pantau serve`, and run the users; (tally, seconds)."""
    token = prepare(url, posts)
    config = write_config(workdir, url)
    port = free_port()
    env = {**os.environ, "PANTAU_CONFIG": str(config), "PANTAU_SESSION_SECRET": "load-test-secret"}
    env.pop("PANTAU_DATABASE_URL", None)
    log = (workdir / f"serve-{port}.log").open("w")
    server = subprocess.Popen([str(PANTAU), "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None:
                raise SystemExit(f"the server exited; see {log.name}")
            time.sleep(0.2)
        else:
            raise SystemExit("the server did not come up")
        tally = Tally()

        async def load() -> None:
            deadline = time.monotonic() + seconds
            await asyncio.gather(*(user_loop(base, token, deadline, tally) for _ in range(users)))

        started = time.perf_counter()
        asyncio.run(load())
        return tally, time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        config.unlink(missing_ok=True)


def report(tally: Tally, elapsed: float) -> int:
    """Print the table; returns the number of errors."""
    print(f"{'endpoint':<20}{'requests':>10}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'errors':>8}")
    total = errors = 0
    for name, values in tally.latencies.items():
        total += len(values)
        errors += tally.errors[name]
        print(
            f"{name:<20}{len(values):>10}{len(values) / elapsed:>8.1f}{statistics.median(values) * 1000:>9.0f}"
            f"{percentile(values, 0.95) * 1000:>9.0f}{max(values) * 1000:>9.0f}{tally.errors[name]:>8}"
        )
    print(f"{'all':<20}{total:>10}{total / elapsed:>8.1f}{'':>27}{errors:>8}")
    for sample in tally.samples:
        print(f"  error: {sample}")
    return errors


def run(args: argparse.Namespace) -> int:
    url = fresh_database(args.backend, args.workdir, args.postgres_url)
    try:
        print(f"filling {args.posts:,} posts on {args.backend} ...", flush=True)
        tally, elapsed = load_test(url, users=args.users, seconds=args.seconds, posts=args.posts, workdir=args.workdir)
    finally:
        drop_database(url)
    print(f"machine: {machine_note()}")
    print(f"{args.users} users for {elapsed:.0f} s against `pantau serve` ({args.backend}, {args.posts:,} posts)")
    return 1 if report(tally, elapsed) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pantau.bench.web_load", description=__doc__)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/pantau-bench"))
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
