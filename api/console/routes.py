"""Sign-in, sign-out, the landing page, the language switch and the console's 404 page."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console.i18n import LANGS
from api.console.security import (
    LANG_COOKIE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    LoginThrottle,
    check_password,
    end_sessions,
    new_token,
    start_session,
)
from api.console.users import audit
from api.console.web import ConsoleError, ViewerDep, check_csrf, render, safe_next
from api.deps import SessionDep, SettingsDep

router = APIRouter(prefix="/console", include_in_schema=False)


def _cookie(response: Response, name: str, value: str, settings, max_age: int | None = None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/console", httponly=True, samesite="lax",
        secure=settings.console_cookie_secure,
    )


def _throttle(request: Request, settings) -> LoginThrottle:
    state = request.app.state
    if getattr(state, "login_throttle", None) is None:
        state.login_throttle = LoginThrottle(settings.console_lockout_delay_s)
    return state.login_throttle


def _login_page(request: Request, settings, next_path: str, status_code: int = 200, failed: bool = False):
    token = new_token()
    response = render(request, "login.html", status_code=status_code, csrf=token, next=next_path, failed=failed)
    _cookie(response, LOGIN_CSRF_COOKIE, token, settings, max_age=3600)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, settings: SettingsDep, next: str = "/console/"):
    return _login_page(request, settings, safe_next(next))


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/console/",
):
    check_csrf(request.cookies.get(LOGIN_CSRF_COOKIE), csrf)
    throttle = _throttle(request, settings)
    client = request.client.host if request.client else "unknown"
    key = username[:65]  # what the throttle remembers (names longer than 64 never sign in)
    wait = throttle.delay(key, client)
    if wait:
        time.sleep(wait)  # a sync route: runs in the thread pool, other requests go on
    # over-long fields are a failed sign-in like any other (an HTML page, not a JSON 422)
    user = check_password(session, username, password) if len(username) <= 64 and len(password) <= 1024 else None
    if user is None:
        throttle.failed(key)
        return _login_page(request, settings, safe_next(next), status_code=401, failed=True)
    throttle.succeeded(key)
    token = start_session(session, user, settings.console_session_hours)
    audit(session, user.username, "session.sign_in", "user", user.username)
    response = RedirectResponse(safe_next(next), status_code=303)
    _cookie(response, SESSION_COOKIE, token, settings, max_age=int(settings.console_session_hours * 3600))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console")
    return response


@router.post("/logout")
def logout(
    request: Request, viewer: ViewerDep, session: SessionDep, settings: SettingsDep,
    csrf: Annotated[str, Form()] = "",
):
    check_csrf(viewer.session.csrf_token, csrf)
    end_sessions(session, token=request.cookies.get(SESSION_COOKIE))
    audit(session, viewer.user.username, "session.sign_out", "user", viewer.user.username)
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, viewer: ViewerDep):
    return render(request, "home.html", viewer)


@router.get("/lang/{lang}")
def switch_language(lang: str, settings: SettingsDep, next: str = "/console/"):
    """A preference only (no state on the server), so a plain link is enough."""
    if lang not in LANGS:
        raise ConsoleError(404, "err_404")
    response = RedirectResponse(safe_next(next), status_code=303)
    _cookie(response, LANG_COOKIE, lang, settings, max_age=365 * 86400)
    return response


@router.get("", include_in_schema=False)
def console_root():
    return RedirectResponse("/console/", status_code=307)


def not_found(request: Request, rest: str):
    raise ConsoleError(404, "err_404")
