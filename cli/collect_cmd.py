"""`pantau collect`: pull new posts from the configured sources."""

from __future__ import annotations

import typer

from pantau.cli.common import err, fail, get_engine, get_settings, out
from pantau.core.config import ConfigError
from pantau.pipeline.cycle import CycleReport, collect_all


def collect_command(
    source: str | None = typer.Option(None, "--source", "-s", help="Only this source (even if disabled)."),
) -> None:
    """Collect new posts from every enabled source, or from one.

    A failing source is recorded as a failed run with its reason; the others still run. Exit 1 if any
    source failed.

    Example: X_BEARER_TOKEN=... pantau collect --source x_jmo
    """
    settings = get_settings()
    if source is not None:
        try:
            chosen = settings.source(source)
        except ConfigError as exc:
            fail(str(exc), 2)
        chosen.enabled = True
    engine = get_engine(settings)
    report = CycleReport()
    collect_all(engine, settings, report, only=source)
    for step in report.steps:
        (out if step.ok else err).print(f"{step.step}: {step.summary}", markup=False)
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("collect")(collect_command)
