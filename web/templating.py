"""Jinja2 with autoescape always on, and the few filters the pages need (local time, safe links)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pantau.core.config import Settings
from pantau.storage.models import TRIAGE_STATUSES
from pantau.web.i18n import STRINGS, translator

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
MAX_LINK_LENGTH = 2048


def safe_href(url: str | None) -> str | None:
    """The URL when it is an absolute http(s) link, else None: anything else is shown as text only."""
    if not url or len(url) > MAX_LINK_LENGTH:
        return None
    candidate = url.strip()
    if any(ord(char) < 0x20 or char.isspace() for char in candidate):
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    return candidate


def make_environment(settings: Settings) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    tz = settings.tz

    def local(value: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
        return value.astimezone(tz).strftime(pattern) if value else ""

    def percent(value: float | None) -> str:
        return "" if value is None else f"{value * 100:.0f}%"

    def plain(value: object) -> str:
        if value is None:
            return "∅"
        if isinstance(value, list):
            return ", ".join(str(item) for item in value) or "∅"
        return str(value)

    environment.filters.update(local=local, percent=percent, safe_href=safe_href, plain=plain)
    environment.globals.update(
        t=translator(settings.web.language),
        display_name=settings.display_name,
        label_keys=settings.label_keys,
        exclusive_label=settings.exclusive_label,
        statuses=TRIAGE_STATUSES,
        translated=STRINGS,
        language=settings.web.language,
        tz_name=settings.timezone,
    )
    return environment


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render a page with the signed-in user, the CSRF token and the CSP nonce available to it."""
    user = getattr(request.state, "user", None)
    csrf = context.pop("csrf", None) or (user.session.csrf if user and user.session else "")
    page = request.app.state.templates.get_template(template).render(
        request=request, user=user, csrf=csrf, nonce=request.state.csp_nonce, path=request.url.path, **context
    )
    return HTMLResponse(page, status_code=status_code)
