"""`pantau db`: create or migrate the schema."""

from __future__ import annotations

import typer

from pantau.cli.common import fail, get_engine, get_settings, out
from pantau.storage.db import DatabaseError, current_revision, describe, head_revision, upgrade

db_app = typer.Typer(help="Create, migrate and inspect the database.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade_command(revision: str = typer.Argument("head", help="Target Alembic revision.")) -> None:
    """Create the database or migrate it to the latest schema. Safe to run again.

    Example: PANTAU_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/test pantau db upgrade
    """
    settings = get_settings()
    engine = get_engine(settings, require_schema=False)
    try:
        upgrade(engine, revision)
    except DatabaseError as exc:
        fail(str(exc))
    out.print(f"database {describe(engine)} is at revision {current_revision(engine)}")


@db_app.command("status")
def status_command() -> None:
    """Show the database URL (password hidden) and whether it is up to date.

    Example: pantau db status
    """
    settings = get_settings()
    engine = get_engine(settings, require_schema=False)
    try:
        current = current_revision(engine)
    except Exception as exc:
        fail(f"cannot read {describe(engine)}: {exc}")
    head = head_revision()
    state = "up to date" if current == head else f"behind (latest is {head}); run `pantau db upgrade`"
    out.print(f"{describe(engine)}: revision {current or 'none'} — {state}")
    if current != head:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
