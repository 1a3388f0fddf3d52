"""The long-running scheduler (`pantau run`)."""

from __future__ import annotations

from sqlalchemy import Engine

from pantau.cli.common import fail
from pantau.core.config import Settings


def serve_forever(settings: Settings, engine: Engine) -> int:
    fail("the scheduler is not available in this version yet; use `pantau run --once` (issue: scheduler)")
