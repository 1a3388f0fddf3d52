"""`pantau serve`: the web triage app and JSON API under uvicorn."""

from __future__ import annotations

import typer

from pantau.cli.common import err, get_engine, get_settings


def serve_command(
    host: str | None = typer.Option(None, "--host", help="Address to listen on; default web.host (127.0.0.1)."),
    port: int | None = typer.Option(None, "--port", min=1, max=65535, help="Port; default web.port (8000)."),
) -> None:
    """Serve the triage queue, dashboard and JSON API (every page needs a login; /health does not).

    Set PANTAU_SESSION_SECRET (or the variable web.session_secret_env names) so logins survive a restart,
    and create a user first.

    Example: create a triager, then serve on port 8000 with a session secret that survives restarts

        pantau users add siti --role triager
        PANTAU_SESSION_SECRET=$(openssl rand -hex 32) pantau serve --host 127.0.0.1 --port 8000
    """
    import uvicorn

    from pantau.web import create_app

    settings = get_settings()
    engine = get_engine(settings)
    app = create_app(settings, engine)
    bind_host, bind_port = host or settings.web.host, port or settings.web.port
    err.print(f"Pantau is serving on http://{bind_host}:{bind_port}  (Ctrl+C to stop)", markup=False)
    uvicorn.run(app, host=bind_host, port=bind_port, log_level="info", proxy_headers=False, server_header=False)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
