"""``govperf models``: list registered versions, promote one to champion, roll back.

``govperf models`` alone lists (as ``govperf models list``). A running service picks up a
moved champion by itself within ``GOVPERF_MODEL_RELOAD_INTERVAL_S``, or at once with
``POST /v1/admin/models/reload``.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from govperf_ml.cli._common import console, fail, out

app = typer.Typer(
    add_completion=False, help="Registered model versions and their champions: list, promote, rollback.",
    pretty_exceptions_show_locals=False,
)

NameArg = Annotated[str, typer.Argument(help="capability (anomaly, forecast, targets, feedback) or registered "
                                             "name (govperf-forecast)", show_default=False)]


@app.callback(invoke_without_command=True)
def models(ctx: typer.Context):
    """Registered model versions and their champions (alone: list them)."""
    if ctx.invoked_subcommand is None:
        list_models()


@app.command("list")
def list_models():
    """List registered model versions, their gate metric and which one is champion."""
    from govperf_ml import registry

    df = registry.list_models()
    if df.empty:
        console.print("No models registered yet: run `govperf train`.")
        return
    table = Table(title=f"Models in {registry.tracking_uri()}")
    for col in ("capability", "version", "champion", "metric", "value", "promoted", "created"):
        table.add_column(col)
    for r in df.itertuples():
        table.add_row(r.capability, str(r.version), "★" if r.champion else "", str(r.metric),
                      f"{r.value:.4g}" if r.value is not None else "", str(r.promoted), str(r.created)[:19])
    out.print(table)


def _report(move) -> None:
    if not move.changed:
        out.print(f"{move.name} v{move.after} is already champion; nothing moved")
        return
    out.print(f"{move.name}: champion v{move.before or 'none'} -> v{move.after} ({move.action})")


@app.command()
def promote(
    name: NameArg,
    version: Annotated[str, typer.Argument(help="the registered version to make champion", show_default=False)],
):
    """Make VERSION the champion of NAME.

    The gate is not consulted; the champion it replaces is recorded, so
    `govperf models rollback NAME` goes back to it.
    """
    from govperf_ml import registry

    try:
        _report(registry.promote(name, version))
    except registry.RegistryError as err:
        fail(str(err))


@app.command()
def rollback(
    name: NameArg,
    version: Annotated[Optional[str], typer.Argument(help="go back to this version (default: the previous champion)",
                                                     show_default=False)] = None,
):
    """Make the previous champion of NAME champion again.

    With VERSION: as promote, logged as a rollback.
    """
    from govperf_ml import registry

    try:
        _report(registry.rollback(name, version))
    except registry.RegistryError as err:
        fail(str(err))
