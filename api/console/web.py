"""What every console page shares: templates, the signed-in viewer, role and CSRF checks,
and HTML error pages (the JSON API answers problem+json; the console answers HTML)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from api.console.i18n import DEFAULT_LANG, LANGS, translator
from api.console.security import LANG_COOKIE, SESSION_COOKIE, find_session, same_token
from api.db import ConsoleSession, User
from api.deps import SessionDep

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))  # autoescape on for .html

#: scripts and styles only from the service itself (no CDN, no inline code)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HANDLERS = ("handler", "admin")
SUPERVISORS = ("supervisor", "admin")
ANALYSTS = ("analyst", "supervisor", "admin")
EVERYONE = ("supervisor", "analyst", "handler", "admin")


@dataclass(frozen=True)
class Page:
    """A page in the console's navigation: who sees the link (``require_role`` enforces it)."""

    path: str
    label: str  # i18n key
    roles: tuple[str, ...]


#: the navigation, in order; a page's route calls ``require_role(viewer, page.roles)``
PAGES = (
    Page("/console/alerts", "nav_alerts", SUPERVISORS),
    Page("/console/targets", "nav_targets", ANALYSTS),
    Page("/console/forecasts", "nav_forecasts", ANALYSTS),
    Page("/console/compare", "nav_compare", ANALYSTS),
    Page("/console/review", "nav_review", HANDLERS),
    Page("/console/reports", "nav_reports", EVERYONE),
    Page("/console/audit", "nav_audit", ("admin",)),
)


def pages_for(user: User | None) -> list[Page]:
    return [page for page in PAGES if user is not None and user.role in page.roles]


class ConsoleError(Exception):
    """An error shown as an HTML page: ``message`` is an i18n key, ``values`` fill it."""

    def __init__(self, status_code: int, message: str, **values: Any):
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.values = values


class NotSignedIn(Exception):
    """No live session: the browser is sent to the sign-in page."""


@dataclass(frozen=True)
class Viewer:
    user: User
    session: ConsoleSession


def lang_of(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, DEFAULT_LANG)
    return lang if lang in LANGS else DEFAULT_LANG


def render(
    request: Request, template: str, viewer: Viewer | None = None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    lang = lang_of(request)
    context |= {
        "lang": lang,
        "t": translator(lang),
        "user": viewer.user if viewer else None,
        "csrf": viewer.session.csrf_token if viewer else context.get("csrf", ""),
        "path": request.url.path,
        "pages": pages_for(viewer.user if viewer else None),
    }
    return templates.TemplateResponse(
        request, template, context, status_code=status_code, headers={"Content-Security-Policy": CSP}
    )


def current_viewer(request: Request, session: SessionDep) -> Viewer:
    found = find_session(session, request.cookies.get(SESSION_COOKIE))
    if found is None:
        raise NotSignedIn()
    return Viewer(user=found[1], session=found[0])


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


def require_role(viewer: Viewer, roles: tuple[str, ...]) -> None:
    if viewer.user.role not in roles:
        raise ConsoleError(403, "err_403")


def check_csrf(expected: str | None, given: str | None) -> None:
    """Refuse (403) a form whose token does not match."""
    if not same_token(expected, given):
        raise ConsoleError(403, "err_csrf")


def safe_next(target: str | None) -> str:
    """Only paths inside the console (no open redirect to another site)."""
    if target and target.startswith("/console/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console/"


async def _console_error(request: Request, exc: ConsoleError) -> HTMLResponse:
    return render(request, "error.html", status_code=exc.status_code, message=exc.message, values=exc.values)


async def _not_signed_in(request: Request, exc: NotSignedIn) -> RedirectResponse:
    target = request.url.path if request.method == "GET" else "/console/"
    return RedirectResponse(f"/console/login?next={quote(target)}", status_code=303)


def install_error_pages(app) -> None:
    app.add_exception_handler(ConsoleError, _console_error)
    app.add_exception_handler(NotSignedIn, _not_signed_in)
