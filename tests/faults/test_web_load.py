"""The web app under a bounded load: 20 concurrent users on loopback for 15 seconds, no errors.

Each user logs in through the form first (Argon2 at its real cost), then loops over the queue page and the
API; bench/web_load.py runs the same load longer and on more posts for the figures in docs/reliability.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pantau.bench.web_load import load_test, report


@pytest.mark.slow
def test_twenty_concurrent_users_get_no_errors_from_the_queue_and_the_api(tmp_path: Path, database_url: str) -> None:
    tally, elapsed = load_test(database_url, users=20, seconds=15, posts=5000, workdir=tmp_path)
    errors = report(tally, elapsed)  # the table lands in the test log
    assert errors == 0, tally.samples
    assert set(tally.latencies) == {"queue page", "api: queue page", "api: post detail", "api: dashboard"}
    assert sum(len(values) for values in tally.latencies.values()) >= 20
