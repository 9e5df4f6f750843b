"""The web console: server-rendered pages for the people who use the service.

Chinese by default, English by a switch; no CDN (scripts and styles are served from
``api/console/static``). ``install(app)`` adds the routes, the static files and the HTML
error pages to the app.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles


def install(app: FastAPI) -> None:
    # the pages are imported here, not with the package: the report and the command line
    # use api.console.names and api.console.i18n without loading every page's services
    from api.console import alerts, audit_trail, compare, formats, forecasts, reports, review, routes, targets
    from api.console.web import HERE, install_error_pages, templates

    # the static mount before the routers: the console's catch-all 404 comes last
    app.mount("/console/static", StaticFiles(directory=str(HERE / "static")), name="console-static")
    app.include_router(routes.router)
    app.include_router(review.router)
    app.include_router(alerts.router)
    app.include_router(targets.router)
    app.include_router(forecasts.router)
    app.include_router(compare.router)
    app.include_router(reports.router)
    app.include_router(audit_trail.router)
    formats.install(templates.env)
    app.add_api_route("/console/{rest:path}", routes.not_found, methods=["GET"], include_in_schema=False)
    install_error_pages(app)
