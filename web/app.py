"""The FastAPI app: triage pages, dashboard and JSON API behind login, with strict security headers."""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from pantau import __version__
from pantau.core.config import Settings
from pantau.web.auth import Forbidden, LoginRequired
from pantau.web.routes import (
    admin_pages,
    api_incidents,
    api_overview,
    api_posts,
    auth_pages,
    dashboard_pages,
    incident_pages,
    post_pages,
    queue_pages,
)
from pantau.web.schemas import HealthOut
from pantau.web.sessions import SessionSigner
from pantau.web.templating import make_environment, render
from pantau.web.throttle import LoginThrottle

STATIC_DIR = Path(__file__).resolve().parent / "static"
API_PREFIXES = ("/api/", "/openapi.json", "/health")

DESCRIPTION = """Pantau's triage data as JSON. Every endpoint except `/health` needs authentication:
send `Authorization: Bearer <token>` (create one with `pantau users token NAME`), or use the
browser session of a logged-in user (then POST/PATCH also need the `X-CSRF-Token` header)."""


def _content_security_policy(nonce: str) -> str:
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIXES)


def create_app(settings: Settings, engine: Engine) -> FastAPI:
    """Build the app around an engine whose schema is at head; nothing here reads globals."""
    app = FastAPI(
        title="Pantau API",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.signer = SessionSigner.from_settings(settings)
    app.state.throttle = LoginThrottle(settings.web.login_attempts_per_minute)
    app.state.templates = make_environment(settings)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        nonce = secrets.token_urlsafe(16)
        request.state.csp_nonce = nonce
        request.state.user = None
        response: Response = await call_next(request)
        headers = response.headers
        headers["Content-Security-Policy"] = _content_security_policy(nonce)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "same-origin"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if request.url.path.startswith("/static/"):
            headers.setdefault("Cache-Control", "public, max-age=3600")
        else:
            headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": exc.message}, status_code=403)
        return render(request, "error.html", {"title_key": "forbidden", "message": exc.message}, 403)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request) or exc.status_code == 405:
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        key = {404: "not_found", 403: "forbidden"}.get(exc.status_code, "bad_request")
        return render(request, "error.html", {"title_key": key, "message": str(exc.detail)}, exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"loc": list(error.get("loc", ())), "msg": str(error.get("msg", "")), "type": str(error.get("type", ""))}
            for error in exc.errors()
        ]
        if _is_api(request):
            return JSONResponse({"detail": problems}, status_code=422)
        message = "; ".join(f"{'.'.join(map(str, item['loc'][1:]))}: {item['msg']}" for item in problems)
        return render(request, "error.html", {"title_key": "bad_request", "message": message}, 422)

    @app.get("/health", response_model=HealthOut, tags=["health"], summary="Liveness and database check (no login)")
    def health() -> JSONResponse:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return JSONResponse({"status": "degraded", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (auth_pages, queue_pages, post_pages, dashboard_pages, admin_pages, api_posts, api_overview):
        app.include_router(module.router)
    app.include_router(incident_pages.router)
    app.include_router(api_incidents.router)
    return app
