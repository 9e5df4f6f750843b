"""``govperf bench``: our models against the named baselines on a public benchmark."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from govperf_ml.cli._common import BenchTask, console, fail, out
from govperf_ml.contracts import DataContractError


def bench(
    task: Annotated[BenchTask, typer.Argument(help="anomaly | forecast | targets | feedback")],
    data: Annotated[Optional[Path], typer.Option(help="dataset folder in the benchmark's layout")] = None,
    freq: Annotated[str, typer.Option(help="M4 frequency for forecast/targets")] = "hourly",
    csv: Annotated[Optional[Path], typer.Option(help="feedback: any labelled CSV file")] = None,
    text_col: Annotated[str, typer.Option(help="feedback --csv: text column")] = "text",
    label_col: Annotated[str, typer.Option(help="feedback --csv: label column")] = "label",
    results: Annotated[Optional[Path], typer.Option(help="folder for detailed results")] = None,
    quick: Annotated[bool, typer.Option(help="a smaller run for smoke tests")] = False,
    hierarchy: Annotated[Optional[str], typer.Option(
        help="forecast: key columns of a monthly panel (e.g. Concession,Type,ATC1,ATC2): base vs reconciled per level")
    ] = None,
):
    """Compare our models with the named baselines on a public benchmark; prints a table and RESULT."""
    from govperf_ml import bench as benches

    if data is None and csv is None:
        fail("--data PATH (or, for feedback, --csv FILE) is required")
    if data is not None and not data.exists():
        fail(f"--data {data} does not exist")
    t0 = time.perf_counter()
    try:
        if task == BenchTask.anomaly:
            res = benches.anomaly.run(data, results=results or Path("bench-results/anomaly"), quick=quick)
        elif task == BenchTask.forecast and hierarchy:
            res = benches.hierarchy.run(data, hierarchy=hierarchy, quick=quick)
        elif task == BenchTask.forecast:
            res = benches.forecast.run(data, freq=freq, quick=quick)
        elif task == BenchTask.targets:
            res = benches.targets.run(data, freq=freq, quick=quick)
        else:
            res = benches.feedback.run(data, csv=csv, text_col=text_col, label_col=label_col, quick=quick)
    except DataContractError as err:
        fail(str(err))
    for title, table in res.tables:
        console.rule(title)
        out.print(table.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    for note in res.notes:
        out.print(note)
    summary = {**res.summary, "seconds": round(time.perf_counter() - t0, 1)}
    print("RESULT " + json.dumps(summary, ensure_ascii=False), flush=True)  # one line, never wrapped


