"""Fixtures for fault tests: a tiny random model (built once), copies to damage, a PostgreSQL server to stop."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from faults import throwaway_postgres
from faults.throwaway_postgres import SharedPostgres, ThrowawayPostgres
from faults.tiny_model import build_tiny_model
from pantau.core.config import load_settings
from support import BASE_CONFIG


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    labels = load_settings(BASE_CONFIG).label_keys
    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny", labels)


@pytest.fixture
def model_copy(tmp_path: Path, tiny_model_dir: Path) -> Path:
    """A copy of the tiny model that a test may damage."""
    return Path(shutil.copytree(tiny_model_dir, tmp_path / "model"))


@pytest.fixture
def restartable_postgres(request: pytest.FixtureRequest) -> Iterator[ThrowawayPostgres | SharedPostgres]:
    """A PostgreSQL server the test may stop: a private throwaway cluster, else (marked) the shared one.

    Whatever the test does, the server is running again afterwards.
    """
    cluster = throwaway_postgres.create()
    if cluster is not None:
        try:
            yield cluster
        finally:
            cluster.remove()
        return
    fallback = throwaway_postgres.shared(request.getfixturevalue("postgres_url"))
    if fallback is None:
        pytest.fail("cannot stop and restart any PostgreSQL server here (no initdb, no pg_ctlcluster)")
    try:
        yield fallback
    finally:
        fallback.start()
