"""Shared fixtures: real SQLite files and real PostgreSQL schemas, a config per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from pantau.core.config import Settings, load_settings
from pantau.storage.db import make_engine, upgrade
from support import postgres_base_url, write_config


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL to a fresh PostgreSQL schema of its own, dropped afterwards."""
    base = postgres_base_url()
    if not base:
        pytest.skip("PostgreSQL tests need PANTAU_TEST_POSTGRES_URL (set by .ci/run)")
    schema = f"pantau_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(make_url(base).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).set(drivername="postgresql+psycopg").update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs twice: on a SQLite file and on a PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pantau.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'pantau.db'}"


@pytest.fixture
def config_path(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = write_config(tmp_path, database_url)
    monkeypatch.setenv("PANTAU_CONFIG", str(path))
    monkeypatch.delenv("PANTAU_DATABASE_URL", raising=False)
    return path


@pytest.fixture
def settings(config_path: Path) -> Settings:
    return load_settings(config_path)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_config_path(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = write_config(tmp_path, sqlite_url)
    monkeypatch.setenv("PANTAU_CONFIG", str(path))
    monkeypatch.delenv("PANTAU_DATABASE_URL", raising=False)
    return path


@pytest.fixture
def sqlite_settings(sqlite_config_path: Path) -> Settings:
    return load_settings(sqlite_config_path)


@pytest.fixture
def sqlite_engine(sqlite_settings: Settings) -> Iterator[Engine]:
    engine = make_engine(sqlite_settings.database_url)
    upgrade(engine)
    yield engine
    engine.dispose()
