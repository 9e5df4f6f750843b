"""What every command shares: the consoles, the one-line failure, CSV reading, progress."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from govperf_ml.vocabulary import CAPABILITIES

console = Console(stderr=True)
out = Console(soft_wrap=True)  # tables and CSV-like output are not re-wrapped at the terminal width

CAPS = CAPABILITIES
PathOpt = Annotated[Optional[Path], typer.Option(exists=True, dir_okay=False, readable=True)]
# the batch paths on Dask (govperf_ml.parallel)
DaskOpt = Annotated[Optional[str], typer.Option(
    "--dask", help="address of a running Dask scheduler (tcp://host:8786): chunks run on its workers")]
WorkersOpt = Annotated[Optional[int], typer.Option(
    min=1, help="run chunks on a local Dask cluster of N worker processes (default: this process)")]
ChunkOpt = Annotated[Optional[int], typer.Option(
    min=1, help="rows per chunk of whole series (default 500000; memory grows with it)")]
TimeoutOpt = Annotated[float, typer.Option(min=0.1, help="seconds to wait for the --dask scheduler")]



class Capability(str, Enum):
    anomaly = "anomaly"
    forecast = "forecast"
    targets = "targets"
    feedback = "feedback"
    all = "all"


class BenchTask(str, Enum):
    anomaly = "anomaly"
    forecast = "forecast"
    targets = "targets"
    feedback = "feedback"
    load = "load"
    fuzz = "fuzz"
    console = "console"
    pii = "pii"
    scale = "scale"


def fail(message: str) -> None:
    """End the command with one line naming what is wrong (exit code 2)."""
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code=2)


def read_csv(path: Path, what: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        fail(f"cannot read {what} file {path}: {err}")


def progress() -> Progress:
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=console, transient=False,
    )


def champion(cap: str):
    """The champion of ``cap``, or a one-line failure naming the command that trains it."""
    from govperf_ml import registry

    try:
        model = registry.load_champion(cap)
    except registry.StaleModelError as err:
        fail(str(err))
    if model is None:
        fail(f"no {cap} model is registered; run `govperf train {cap}` first")
    return model
