"""Who is asking: session cookies for pages, bearer tokens (or the page's cookie plus CSRF header) for the API."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, HTTPException, Request
from sqlmodel import Session

from pantau.storage.users import get_user, user_for_token
from pantau.web.sessions import COOKIE_NAME, SessionData, password_mark

ROLE_RANK = {"viewer": 0, "triager": 1, "admin": 2}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class LoginRequired(Exception):
    """A page was asked for without a valid session; the app answers with a redirect to /login."""


class Forbidden(Exception):
    """A page action needs a higher role, or its form had no valid CSRF token."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(slots=True)
class CurrentUser:
    username: str
    role: str
    session: SessionData | None
    """The cookie session, or None when the request came with a bearer token."""

    def has_role(self, role: str) -> bool:
        return ROLE_RANK.get(self.role, -1) >= ROLE_RANK[role]


def get_db(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


def read_session(request: Request) -> SessionData | None:
    return request.app.state.signer.loads(request.cookies.get(COOKIE_NAME))


def _session_user(request: Request, db: Session) -> CurrentUser | None:
    data = read_session(request)
    if data is None or not data.username:
        return None
    user = get_user(db, data.username)
    if user is None or user.disabled or data.password_mark != password_mark(user.password_hash):
        return None
    return CurrentUser(user.username, user.role, data)


def page_user(request: Request, db: Session = Depends(get_db)) -> CurrentUser:
    current = _session_user(request, db)
    if current is None:
        raise LoginRequired()
    request.state.user = current
    return current


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": 'Bearer realm="pantau"'})


def api_user(request: Request, db: Session = Depends(get_db)) -> CurrentUser:
    """A bearer token wins; without one, the page's session cookie counts (unsafe methods need its CSRF header)."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        user = user_for_token(db, token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise _unauthorized("invalid or revoked bearer token")
        current = CurrentUser(user.username, user.role, None)
    else:
        session_user = _session_user(request, db)
        if session_user is None:
            raise _unauthorized("log in or send an API token: Authorization: Bearer <token>")
        if request.method not in SAFE_METHODS and not _same_token(
            request.headers.get(CSRF_HEADER), session_user.session
        ):
            raise HTTPException(403, f"missing or wrong {CSRF_HEADER} header")
        current = session_user
    request.state.user = current
    return current


def _same_token(given: Any, session: SessionData | None) -> bool:
    return isinstance(given, str) and session is not None and hmac.compare_digest(given.encode(), session.csrf.encode())


async def form_csrf(request: Request) -> None:
    """Every form POST carries the session's CSRF token in a hidden field."""
    form = await request.form()
    if not _same_token(form.get(CSRF_FIELD), read_session(request)):
        raise Forbidden("The form expired or did not come from this site. Reload the page and try again.")


def page_role(role: str) -> Callable[..., CurrentUser]:
    def dependency(current: CurrentUser = Depends(page_user)) -> CurrentUser:
        if not current.has_role(role):
            raise Forbidden(f"This needs the {role} role; you are signed in as {current.role}.")
        return current

    return dependency


def api_role(role: str) -> Callable[..., CurrentUser]:
    def dependency(current: CurrentUser = Depends(api_user)) -> CurrentUser:
        if not current.has_role(role):
            raise HTTPException(403, f"needs the {role} role")
        return current

    return dependency


def may_see_original(request: Request, current: CurrentUser) -> bool:
    """Unredacted text only for admins, and only when the config allows it."""
    return current.role == "admin" and request.app.state.settings.privacy.show_unredacted_to_admins
