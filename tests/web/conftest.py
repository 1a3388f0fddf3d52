"""Web fixtures: the real app on the `engine`/`settings` of each database, and clients per role."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.testclient import TestClient

from pantau.core.config import Settings
from pantau.storage import users
from pantau.web import create_app

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture
def app(settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    monkeypatch.setenv(settings.web.session_secret_env, "test-session-secret")
    return create_app(settings, engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with test-sized costs: the real parameters take ~0.3 s a hash, by design."""
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(users, "_hasher", hasher)
    monkeypatch.setattr(users, "_DUMMY_HASH", hasher.hash("dummy"))
