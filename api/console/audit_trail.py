"""The audit trail for administrators: every change made in the console (and to users from
the CLI), newest first, filtered by user, action and item."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from api.console import inbox_format
from api.console.web import ConsoleError, ViewerDep, lang_of, render, require_role
from api.db import AuditEntry
from api.deps import SessionDep
from api.services import count

router = APIRouter(prefix="/console/audit", include_in_schema=False)
ADMINS = ("admin",)
PAGE_SIZE = 50
MAX_PAGE = 200


def _distinct(session, column) -> list[str]:
    return list(session.execute(select(column).distinct().order_by(column)).scalars())


def _check(name: str, value: str, allowed: list[str]) -> None:
    if value and value not in allowed:
        raise ConsoleError(422, "audit_err_value", name=name, value=value[:80])


@router.get("", response_class=HTMLResponse)
def audit_page(request: Request, viewer: ViewerDep, session: SessionDep,
               user: str = "", action: str = "", item_type: str = "", item_id: str = "", page: str = "1"):
    require_role(viewer, ADMINS)
    filters = {"user": user.strip()[:64], "action": action.strip(), "item_type": item_type.strip(),
               "item_id": item_id.strip()[:128]}
    actions, item_types = _distinct(session, AuditEntry.action), _distinct(session, AuditEntry.item_type)
    _check("action", filters["action"], actions)
    _check("item_type", filters["item_type"], item_types)
    stmt = select(AuditEntry)
    for column, key in ((AuditEntry.username, "user"), (AuditEntry.action, "action"),
                        (AuditEntry.item_type, "item_type"), (AuditEntry.item_id, "item_id")):
        if filters[key]:
            stmt = stmt.where(column == filters[key])
    total = count(session, stmt)
    last = min(MAX_PAGE, max(1, -(-total // PAGE_SIZE)))
    if not page.isdigit() or not 1 <= int(page) <= last:
        raise ConsoleError(422, "alerts_err_page", value=page[:20], last=last)
    number = int(page)
    entries = session.execute(
        stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)
    ).scalars().all()
    return render(
        request, "audit.html", viewer, entries=entries, filters=filters, actions=actions, item_types=item_types,
        total=total, page=number, last_page=last,
        query=lambda **changes: urlencode({k: v for k, v in (filters | changes).items() if v}),
        **inbox_format.template_helpers(lang_of(request)),
    )
