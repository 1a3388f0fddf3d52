"""Helpers for tests: configs pointed at temporary databases, and the real CLI run in-process."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from pantau.cli.main import app

REPO = Path(__file__).resolve().parent.parent
BASE_CONFIG = REPO / "config.yaml"
DEMO_STREAM = REPO / "data" / "demo" / "posts.jsonl"


def postgres_base_url() -> str | None:
    url = os.environ.get("PANTAU_TEST_POSTGRES_URL")
    if not url and os.environ.get("CI"):
        raise RuntimeError("CI must set PANTAU_TEST_POSTGRES_URL so the PostgreSQL tests run")
    return url


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def write_config(directory: Path, database_url: str, **overrides: Any) -> Path:
    """A copy of the shipped config with the database, demo path and data dir pointed at `directory`."""
    document = yaml.safe_load(BASE_CONFIG.read_text(encoding="utf-8"))
    document["database"]["url"] = database_url
    document["data_dir"] = str(directory / "data")
    document["digest"]["output_dir"] = str(directory / "data" / "digests")
    document["classifier"]["models_dir"] = str(directory / "data" / "models")
    for source in document["sources"]:
        if source["type"] == "demo":
            source["path"] = str(DEMO_STREAM)
    document = _merge(document, overrides)
    path = directory / "config.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@dataclass
class CommandResult:
    exit_code: int
    stdout: str
    stderr: str


def pantau(*args: str, input: str | None = None) -> CommandResult:
    """Run `pantau ARGS` in-process with the environment as it is (PANTAU_CONFIG included)."""
    runner = CliRunner()
    result = runner.invoke(app, list(args), input=input, catch_exceptions=False)
    return CommandResult(result.exit_code, result.stdout, result.stderr)


@dataclass
class Verdict:
    """A model verdict as record_verdicts takes it, for tests that store labels without a model."""

    labels: list[str]
    primary: str
    confidence: float = 0.9
    needs_review: bool = False
    scores: dict[str, float] = field(default_factory=dict)


def write_written_sources(corpus_dir: Path, lines: list[str]) -> None:
    """A corpus folder's written/a-01.tsv with `labels<TAB>service<TAB>text` lines."""
    written = corpus_dir / "written"
    written.mkdir(parents=True, exist_ok=True)
    (written / "a-01.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
