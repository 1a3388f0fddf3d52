"""Incident fixtures: the labelled demo stream grouped into incidents, with SLA clocks configured."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pantau.core.config import Settings, load_settings
from pantau.storage.db import make_engine, upgrade

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "web"))

from incident_support import SLA, write_incident_config


@pytest.fixture
def sla_config(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A SQLite config with working hours 08–17 (Mon–Fri) and outage clocks of 30 min / 4 h on them."""
    path = write_incident_config(tmp_path, sqlite_url, sla=SLA)
    monkeypatch.setenv("PANTAU_CONFIG", str(path))
    monkeypatch.delenv("PANTAU_DATABASE_URL", raising=False)
    return path


@pytest.fixture
def sla_settings(sla_config: Path) -> Settings:
    return load_settings(sla_config)


@pytest.fixture
def sla_engine(sla_settings: Settings) -> Iterator[Engine]:
    engine = make_engine(sla_settings.database_url)
    upgrade(engine)
    yield engine
    engine.dispose()
