"""The `pantau` command line: a thin shell over the pipeline, reports, web app and model tools."""

from __future__ import annotations

import typer
from sqlalchemy.exc import SQLAlchemyError

from pantau import __version__
from pantau.cli import (
    classify_cmd,
    collect_cmd,
    db_cmd,
    digest_cmd,
    evaluate_cmd,
    events_cmd,
    export_cmd,
    import_cmd,
    incidents_cmd,
    labels_cmd,
    models_cmd,
    run_cmd,
    serve_cmd,
    train_cmd,
    trends_cmd,
    users_cmd,
)
from pantau.cli.common import fail_with, setup_logging

app = typer.Typer(
    name="pantau",
    help=(
        "Pantau monitors public posts about Indonesian digital public services, classifies them by issue "
        "type and keeps them for triage.\n\n"
        "Start with: pantau db upgrade && pantau run --once && pantau digest --format html --output digest.html\n\n"
        "Configuration: config.yaml (or $PANTAU_CONFIG); $PANTAU_DATABASE_URL overrides database.url."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pantau {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug details to stderr."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    setup_logging(verbose)


for module in (
    db_cmd,
    import_cmd,
    collect_cmd,
    classify_cmd,
    run_cmd,
    digest_cmd,
    trends_cmd,
    export_cmd,
    serve_cmd,
    train_cmd,
    evaluate_cmd,
    users_cmd,
    labels_cmd,
    models_cmd,
    events_cmd,
    incidents_cmd,
):
    module.register(app)


def main() -> None:
    try:
        app()
    except SQLAlchemyError as exc:
        # A database failing mid-command (server gone, file turned read-only, disk full) ends in one line.
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        fail_with(f"database error: {reason[0] if reason else type(exc).__name__}")
