"""The installed ``govperf`` command: the library's commands (``govperf_ml.cli``) plus
those that need the service.

* ``govperf serve``: train what has no champion this release can serve, create API keys,
  run the API.
* ``govperf users add|disable|reset``: the web console's users (``/console``).
* ``govperf report``: the periodic performance report (HTML, PDF, XLSX) from the service's store.
* ``govperf train feedback`` learns from the handlers' corrections stored by the service
  (``GOVPERF_DATABASE_URL``) when no ``--corrections`` file is given.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer
from rich.markup import escape

from govperf_ml.cli import TrainingData, run_training
from govperf_ml.cli import app as library_app
from govperf_ml.cli._common import CAPS, console

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="The govperf command line: train, serve, score, bench, demo, models.",
    pretty_exceptions_show_locals=False,  # locals may hold citizens' messages
)
app.registered_commands.extend(library_app.registered_commands)
app.registered_groups.extend(library_app.registered_groups)  # govperf models ...


def stored_corrections() -> pd.DataFrame | None:
    """Handlers' corrections stored by the service (None if there is no database yet or none)."""
    from api.services.corrections import corrections_frame
    from api.settings import get_settings

    url = get_settings().database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    frame = corrections_frame(url)
    if not len(frame):
        return None
    console.print(f"using {len(frame)} handler corrections from {url.split('@')[-1]}")
    return frame


TrainingData.stored_corrections = staticmethod(stored_corrections)


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="bind address (default from settings: 127.0.0.1)")] = None,
    port: Annotated[Optional[int], typer.Option(help="port (default from settings: 8000)")] = None,
    train_missing: Annotated[bool, typer.Option(help="train models that have no champion first")] = True,
    workers: Annotated[Optional[int], typer.Option(min=1, max=64, help="server processes (default from "
                                                                      "settings: 1)")] = None,
):
    """Serve the API: trains missing models on the sample city, creates API keys, starts uvicorn."""
    import uvicorn

    from api.auth import ensure_api_keys
    from api.log_config import uvicorn_log_config
    from api.settings import get_settings

    settings = get_settings()
    if train_missing:
        run_training(list(CAPS), TrainingData(), only_missing=True, uri=settings.mlflow_tracking_uri)
    keys = ensure_api_keys(Path(settings.api_keys_file))
    if keys:
        console.print(f"[bold]Created API keys[/] (stored hashed in {settings.api_keys_file}; shown once):")
        for role, key in keys.items():
            console.print(f"  {role:<13} {key}")
    host = host or settings.host
    port = port or settings.port
    workers = workers or settings.workers
    if workers > 1:
        from api.db import migrate

        migrate(settings.database_url)  # once, before the processes start (each would race to)
    console.print(f"Serving on http://{host}:{port} with {workers} process(es)  (docs: http://{host}:{port}/docs)")
    # the service writes its own access line (with a request id), so uvicorn's is off
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port,
                log_config=uvicorn_log_config(fmt=settings.log_format), access_log=False, workers=workers)


users_app = typer.Typer(no_args_is_help=True, help="Users of the web console (/console): add, disable, reset.")
app.add_typer(users_app, name="users")
_CLI_ACTOR = "cli"  # the audit trail's name for changes made here


def _user_change(change, *args) -> None:
    """Run ``change(session, *args, actor=...)`` on the service database in one transaction."""
    from api.console.users import UserError
    from api.db import make_engine, make_session_factory, migrate
    from api.settings import get_settings

    url = get_settings().database_url
    migrate(url)
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            change(session, *args, actor=_CLI_ACTOR)
            session.commit()
    except UserError as err:
        console.print(f"[red]{err}[/]")
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


def _new_password() -> str:
    return typer.prompt("password", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="sign-in name (letters, digits, . _ @ -)")],
    role: Annotated[str, typer.Option(help="supervisor, analyst, handler or admin")] = "handler",
):
    """Add a console user; the password is asked for (twice, not echoed)."""
    from api.console.users import add_user

    _user_change(add_user, username, role, _new_password())
    console.print(f"added {username} ({role})")


@users_app.command("disable")
def users_disable(username: Annotated[str, typer.Argument(help="the user to disable")]):
    """Stop a user signing in; their open sessions end now."""
    from api.console.users import disable_user

    _user_change(disable_user, username)
    console.print(f"disabled {username}")


@users_app.command("reset")
def users_reset(username: Annotated[str, typer.Argument(help="the user whose password to replace")]):
    """Set a new password (asked for) and enable the user again; their open sessions end."""
    from api.console.users import reset_password

    _user_change(reset_password, username, _new_password())
    console.print(f"new password set for {username}")


class ReportFormat(str, Enum):
    html = "html"
    pdf = "pdf"
    xlsx = "xlsx"


class ReportLang(str, Enum):
    zh = "zh"
    en = "en"


@app.command()
def report(
    period: Annotated[str, typer.Option(help="a month (2025-06) or a quarter (2025-Q2)")],
    org_unit: Annotated[str, typer.Option("--org-unit", help="an org unit (e.g. D03) or CITY for the whole city")],
    fmt: Annotated[ReportFormat, typer.Option("--format", help="document format")] = ReportFormat.html,
    lang: Annotated[ReportLang, typer.Option(help="language (Chinese by default)")] = ReportLang.zh,
    out: Annotated[Optional[Path], typer.Option(help="where to write it (default: a name from unit, period and "
                                                     "language in the current folder)")] = None,
):
    """The periodic performance report of a unit or the whole city, from the service's database.

    Exit code 2 when the database has no observations of the unit or of the period; the
    time it took goes to stderr.
    """
    import time

    from api.db import make_engine, make_session_factory
    from api.reports import ReportError, build
    from api.settings import get_settings

    started = time.perf_counter()
    url = get_settings().database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        console.print(f"[red]no service database at {url}: load data first (govperf serve, then the sample city)[/]")
        raise typer.Exit(2)
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            document = build(session, period=period, org_unit=org_unit, fmt=fmt.value, lang=lang.value)
    except ReportError as err:
        console.print(f"[red]{escape(str(err))}[/]")
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    target = out or Path(document.filename)
    target.write_bytes(document.content)
    console.print(f"wrote {escape(str(target))} ({len(document.content):,} bytes)")
    typer.echo(f"report {org_unit} {period} {fmt.value}: {time.perf_counter() - started:.1f} s", err=True)


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
