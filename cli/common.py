"""What every command shares: settings, the engine, logging and one-line errors with exit codes."""

from __future__ import annotations

import logging
import os
import sys
from typing import NoReturn

import typer
from rich.console import Console
from sqlalchemy import Engine

from pantau.core.config import ConfigError, Settings, load_settings
from pantau.storage.db import DatabaseError, ensure_schema, make_engine

EXIT_FAILURE = 1
EXIT_USAGE = 2

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    """Print one line to stderr and exit."""
    err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def fail_with(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    """fail() outside a command (no click context): print one line and exit the process."""
    err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True)
    raise SystemExit(code)


def setup_logging(verbose: bool = False) -> None:
    level = logging.DEBUG if verbose else getattr(logging, os.environ.get("PANTAU_LOG_LEVEL", "WARNING").upper(), 30)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "urllib3", "apscheduler.executors.default"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def get_settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)


def get_engine(settings: Settings, *, require_schema: bool = True) -> Engine:
    try:
        engine = make_engine(settings.database_url, echo=settings.database.echo, pool_size=settings.database.pool_size)
        if require_schema:
            ensure_schema(engine)
        return engine
    except DatabaseError as exc:
        fail(str(exc))
