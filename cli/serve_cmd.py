"""`pantau serve`: placeholder until its capability lands."""

from __future__ import annotations

import typer

from pantau.cli.unavailable import register_unavailable


def register(app: typer.Typer) -> None:
    register_unavailable(app, "serve", "Serve the web triage app", "trends and web triage")
