"""`pantau run`: one monitoring cycle now, or the scheduler."""

from __future__ import annotations

import typer

from pantau.cli.common import err, fail, get_engine, get_settings, out
from pantau.core.config import Settings


def run_command(
    once: bool = typer.Option(False, "--once", help="Run one cycle now and exit (non-zero if a step failed)."),
) -> None:
    """Run the monitoring pipeline.

    `--once` collects every enabled source, classifies pending posts and checks alerts, then exits 1
    if any step failed. Without it, the scheduler runs each job on its own schedule until SIGTERM.

    Example: pantau run --once
    """
    settings = get_settings()
    if not once:
        raise typer.Exit(_serve(settings))
    engine = get_engine(settings)
    from pantau.pipeline.cycle import run_cycle

    report = run_cycle(engine, settings)
    for step in report.steps:
        mark = "ok  " if step.ok else "FAIL"
        (out if step.ok else err).print(f"[{mark}] {step.step}: {step.summary}", markup=False)
    if not report.ok:
        raise typer.Exit(1)


def _serve(settings: Settings) -> int:
    """The scheduler; while the database is unreachable it waits for it instead of exiting."""
    from pantau.pipeline.db_wait import stop_on_signals, wait_for_database
    from pantau.scheduler import serve_forever
    from pantau.storage.db import DatabaseError

    try:
        with stop_on_signals() as stop:
            engine = wait_for_database(settings, stop, say=lambda line: err.print(line, markup=False))
    except DatabaseError as exc:
        fail(str(exc))
    if engine is None:
        out.print("stopped while waiting for the database", markup=False)
        return 0
    return serve_forever(settings, engine)


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)
