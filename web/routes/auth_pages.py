"""Login and logout pages: argon2-checked passwords, throttled failures, a fresh session on success."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from pantau.storage.users import authenticate
from pantau.web.auth import CurrentUser, form_csrf, get_db, page_user, read_session
from pantau.web.i18n import translator
from pantau.web.sessions import COOKIE_NAME, SessionData, password_mark
from pantau.web.templating import render

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (//evil, /\\evil) or a scheme."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/queue"
    if any(ord(char) < 0x20 or char == "\\" for char in target):
        return "/queue"
    return target


def set_session_cookie(request: Request, response: Response, data: SessionData) -> None:
    signer = request.app.state.signer
    response.set_cookie(
        COOKIE_NAME,
        signer.dumps(data),
        max_age=signer.max_age_seconds,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.web.cookie_secure,
        path="/",
    )


def _login_page(request: Request, next_path: str, error: str | None, status_code: int = 200) -> Response:
    session = read_session(request)
    if session is None or session.username:
        session = SessionData()
    response = render(
        request, "login.html", {"csrf": session.csrf, "next_path": next_path, "error": error}, status_code
    )
    set_session_cookie(request, response, session)
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return _login_page(request, safe_next(next), None)


@router.post("/login", dependencies=[Depends(form_csrf)])
def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2048)] = "/queue",
    db: Session = Depends(get_db),
) -> Response:
    t = translator(request.app.state.settings.web.language)
    throttle = request.app.state.throttle
    address = request.client.host if request.client else "unknown"
    wait = throttle.retry_after(username, address)
    if wait:
        response = _login_page(request, safe_next(next), t("login_throttled", seconds=wait), 429)
        response.headers["Retry-After"] = str(wait)
        return response
    user = authenticate(db, username, password)
    if user is None:
        throttle.record_failure(username, address)
        return _login_page(request, safe_next(next), t("login_failed"), 401)
    throttle.reset(username, address)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(
        request, response, SessionData(username=user.username, password_mark=password_mark(user.password_hash))
    )
    return response


@router.post("/logout", dependencies=[Depends(form_csrf)])
def logout(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response


@router.get("/")
def home(_user: CurrentUser = Depends(page_user)) -> Response:
    return RedirectResponse("/queue", status_code=303)
