"""`pantau run`: one monitoring cycle now, or the scheduler."""

from __future__ import annotations

import typer

from pantau.cli.common import err, get_engine, get_settings, out


def run_command(
    once: bool = typer.Option(False, "--once", help="Run one cycle now and exit (non-zero if a step failed)."),
) -> None:
    """Run the monitoring pipeline.

    `--once` collects every enabled source, classifies pending posts and checks alerts, then exits 1
    if any step failed. Without it, the scheduler runs each job on its own schedule until SIGTERM.

    Example: pantau run --once
    """
    settings = get_settings()
    engine = get_engine(settings)
    if not once:
        from pantau.scheduler import serve_forever

        raise typer.Exit(serve_forever(settings, engine))
    from pantau.pipeline.cycle import run_cycle

    report = run_cycle(engine, settings)
    for step in report.steps:
        mark = "ok  " if step.ok else "FAIL"
        (out if step.ok else err).print(f"[{mark}] {step.step}: {step.summary}", markup=False)
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)
