"""Commands whose capability has not landed yet say so plainly and exit non-zero."""

from __future__ import annotations

import typer

from pantau.cli.common import fail


def register_unavailable(app: typer.Typer, name: str, summary: str, issue: str) -> None:
    def command(
        _args: list[str] | None = typer.Argument(None, hidden=True),
    ) -> None:
        fail(f"`pantau {name}` is not available in this version yet ({issue})")

    command.__doc__ = f"{summary} (not available yet)"
    app.command(name, context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(command)
