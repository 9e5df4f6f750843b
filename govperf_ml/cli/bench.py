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
    task: Annotated[BenchTask, typer.Argument(
        help="anomaly | forecast | targets | feedback | load | fuzz | console | pii | scale")],
    data: Annotated[Optional[Path], typer.Option(help="dataset folder in the benchmark's layout (load: not "
                                                      "used, it loads the bundled sample city)")] = None,
    freq: Annotated[str, typer.Option(help="M4 frequency for forecast/targets")] = "hourly",
    csv: Annotated[Optional[Path], typer.Option(help="feedback: any labelled CSV file")] = None,
    text_col: Annotated[str, typer.Option(help="feedback --csv: text column")] = "text",
    label_col: Annotated[str, typer.Option(help="feedback --csv: label column")] = "label",
    dimension_labels: Annotated[Optional[Path], typer.Option(help=(
        "feedback: service-dimension labels (message_id,dimensions) of 附件4 / English eval messages, scored on a "
        "fixed 30 % held-out part (default: the committed govperf_ml/data/feedback_dimension_labels.csv)"))] = None,
    dimensions_only: Annotated[bool, typer.Option(help="feedback: only the service-dimension comparison")] = False,
    setfit_pairs: Annotated[int, typer.Option(min=0, max=100_000, help=(
        "feedback: add a SetFit-style candidate, m3e-small tuned contrastively on this many pairs of the dimension "
        "training part (0: off; on 2 shared cores 640 took 16 min, 2,000 did not finish in 30)"))] = 0,
    results: Annotated[Optional[Path], typer.Option(help="folder for detailed results")] = None,
    quick: Annotated[bool, typer.Option(help="a smaller run for smoke tests")] = False,
    suite: Annotated[Optional[Path], typer.Option(
        help="anomaly, targets: a folder holding the corpora (anomaly: nab/, monthly_public/, optionally "
             "gutentag/, else the bundled GutenTAG corpus; targets: m4_hourly_weekly/, monthly_public/), with the "
             "sample city: every corpus, the same models, in-corpus vs leave-one-corpus-out")] = None,
    write_defaults: Annotated[Optional[Path], typer.Option(
        help="anomaly --suite: write the served setting chosen on all corpora (with the corpora, date and "
             "figures) to this JSON file (the served pipeline reads govperf_ml/data/anomaly_defaults.json)")] = None,
    monthly: Annotated[Optional[Path], typer.Option(
        help="anomaly: a folder in the monthly_public layout (PBS, retail): injected monthly anomalies, "
             "served pipeline vs baselines, retail held out")] = None,
    corpora: Annotated[Optional[str], typer.Option(
        help="targets --suite: comma-separated corpora (default all)")] = None,
    max_series: Annotated[int, typer.Option(min=2, help="targets --suite: series per corpus (seeded draw)")] = 150,
    forecaster: Annotated[bool, typer.Option(
        help="targets --suite: the forecaster's probability (AutoETS paths) as a candidate input and shrinkage "
             "reference; ours reported with and without it")] = True,
    short_share: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="targets --suite: share of each corpus's series seen over a short history "
                               "(3 past origins)")] = 0.0,
    hierarchy: Annotated[Optional[str], typer.Option(
        help="forecast: key columns of a monthly panel (e.g. Concession,Type,ATC1,ATC2): base vs reconciled per level")
    ] = None,
    db: Annotated[str, typer.Option(help="load, fuzz: sqlite | postgres | both")] = "both",
    clients: Annotated[int, typer.Option(min=1, max=1000, help="load: concurrent clients")] = 100,
    seconds: Annotated[float, typer.Option(min=1, max=3600, help="load: seconds of the full run")] = 60,
    steps: Annotated[str, typer.Option(help="load: fewer clients run first, for the peak (comma-separated)")] = "25,50",
    step_seconds: Annotated[float, typer.Option(min=1, max=600, help="load: seconds of each step")] = 15,
    cache: Annotated[Optional[Path], typer.Option(help="load, fuzz: MLflow store kept between runs (models "
                                                       "trained once)")] = None,
    examples: Annotated[int, typer.Option(min=1, max=10_000, help="fuzz: examples per operation")] = 100,
    seed: Annotated[int, typer.Option(help="fuzz: schemathesis seed; pii: planting seed; console, scale: "
                                           "data seed; anomaly --monthly/--suite: injection and subsampling seed; "
                                           "targets --suite: series draw")] = 0,
    alerts: Annotated[int, typer.Option(min=1, max=10_000_000, help="console: alerts in the database")] = 100_000,
    series: Annotated[int, typer.Option(min=1, max=1_000_000, help="console: series they are spread over")] = 20_000,
    requests: Annotated[int, typer.Option(min=1, max=10_000, help="console: requests timed per page")] = 50,
    n: Annotated[int, typer.Option(min=1, max=1_000_000, help="pii: planted messages per split")] = 1000,
    sizes: Annotated[str, typer.Option(help="scale: monthly KPI panels, series (e.g. 10k,100k,1M; none)")] = "10k,100k,1M",
    daily_sizes: Annotated[str, typer.Option(help="scale: daily demand panels, series (e.g. 1k,10k,50k; none)")] = "1k,10k,50k",
    workers: Annotated[Optional[int], typer.Option(min=1, max=256, help=(
        "scale: workers of the local Dask cluster (default 2); forecast: also train the ensemble on a local Dask "
        "cluster of this many workers and compare it with one process"))] = None,
    chunk_rows: Annotated[int, typer.Option(min=1, help="scale: rows per chunk of whole series")] = 500_000,
    max_dask_series: Annotated[Optional[int], typer.Option(
        min=1, help="scale: larger panels run in one process only (time-boxed runs)")] = None,
):
    """Compare our models with the named baselines on a public benchmark; prints a table and RESULT."""
    from govperf_ml import bench as benches

    if task == BenchTask.load:
        return _load(db, clients, seconds, steps, step_seconds, cache, quick)
    if task == BenchTask.fuzz:
        return _fuzz(db, examples, seed, cache, quick)
    if task == BenchTask.console:
        return _console(alerts, series, requests, seed, quick)
    if task == BenchTask.pii:
        return _pii(data, n, seed)
    if task == BenchTask.scale:
        return _scale(sizes, daily_sizes, workers or 2, chunk_rows, seed, max_dask_series)
    if task == BenchTask.anomaly and suite is not None:
        return _suite(suite, seed, quick, write_defaults, results)
    if task == BenchTask.anomaly and monthly is not None:
        return _monthly(monthly, seed, quick)
    if task == BenchTask.targets and suite is not None:
        data = suite
    if data is None and csv is None:
        fail("--data PATH (or, for feedback, --csv FILE) is required")
    if data is not None and not data.exists():
        fail(f"--data {data} does not exist")
    if task == BenchTask.anomaly:
        _timed(benches.anomaly.run, data, results=results or Path("bench-results/anomaly"), quick=quick)
    elif task == BenchTask.forecast and hierarchy:
        _timed(benches.hierarchy.run, data, hierarchy=hierarchy, quick=quick)
    elif task == BenchTask.forecast:
        _timed(benches.forecast.run, data, freq=freq, quick=quick, workers=workers)
    elif task == BenchTask.targets and suite is not None:
        names = tuple(c.strip() for c in corpora.split(",") if c.strip()) if corpora else benches.CORPORA
        _timed(benches.targets_suite.run, data, corpora=names, max_series=20 if quick else max_series, seed=seed,
               forecast=forecaster, short_share=short_share)
    elif task == BenchTask.targets:
        _timed(benches.targets.run, data, freq=freq, quick=quick)
    else:
        if dimension_labels is not None and not dimension_labels.exists():
            fail(f"--dimension-labels {dimension_labels} does not exist")
        _timed(benches.feedback.run, data, csv=csv, text_col=text_col, label_col=label_col, quick=quick,
               dimension_labels=dimension_labels, dimensions_only=dimensions_only, setfit_pairs=setfit_pairs)


def _timed(run, *args, **kwargs) -> None:
    """Run a bench, print its tables and ``RESULT`` with the wall seconds (unless the bench
    measured its own); a ``DataContractError`` is one line, exit 2."""
    t0 = time.perf_counter()
    try:
        res = run(*args, **kwargs)
    except DataContractError as err:
        fail(str(err))
    _print(res, {"seconds": round(time.perf_counter() - t0, 1)} if "seconds" not in res.summary else {})


def _print(res, extra: dict, float_format=lambda x: f"{x:.4f}") -> None:
    for title, table in res.tables:
        console.rule(title)
        out.print(table.to_string(index=False, float_format=float_format))
    for note in res.notes:
        out.print(note)
    for summary in res.summary if isinstance(res.summary, list) else [res.summary]:
        print("RESULT " + json.dumps({**extra, **summary}, ensure_ascii=False), flush=True)  # one line, never wrapped


def _load(db: str, clients: int, seconds: float, steps: str, step_seconds: float, cache, quick: bool) -> None:
    """``govperf bench load``: one RESULT line per database."""
    from govperf_ml.bench import load

    if db not in ("sqlite", "postgres", "both"):
        fail(f"--db must be sqlite, postgres or both; got {db!r}")
    try:
        step_list = [int(s) for s in steps.split(",") if s.strip()]
    except ValueError:
        fail(f"--steps must be comma-separated client counts; got {steps!r}")
    if quick:
        clients, seconds, step_list, step_seconds = min(clients, 5), min(seconds, 3), [], step_seconds
    try:
        res = load.run(db=db, clients=clients, seconds=seconds, steps=step_list, step_seconds=step_seconds,
                       cache=cache)
    except (load.ServerFailed, load.PostgresUnavailable) as err:
        fail(str(err))
    _print(res, {}, float_format=lambda x: f"{x:.1f}")




def _fuzz(db: str, examples: int, seed: int, cache, quick: bool) -> None:
    """``govperf bench fuzz``: schemathesis over the whole API of a live server."""
    from govperf_ml.bench import fuzz

    if db not in ("sqlite", "postgres", "both"):
        fail(f"--db must be sqlite, postgres or both; got {db!r}")
    t0 = time.perf_counter()
    res = fuzz.run(db=db, examples=examples, seed=seed, cache=cache, quick=quick)
    _print(res, {"seconds": round(time.perf_counter() - t0, 1)}, float_format=lambda x: f"{x:.1f}")


def _console(alerts: int, series: int, requests: int, seed: int, quick: bool) -> None:
    """``govperf bench console``: the console's alert pages on a database of ``alerts`` alerts."""
    from govperf_ml.bench import console as console_bench

    if quick:
        alerts, series, requests = min(alerts, 2_000), min(series, 400), min(requests, 10)
    t0 = time.perf_counter()
    try:
        res = console_bench.run(alerts=alerts, series=series, requests=requests, seed=seed)
    except console_bench.BenchFailed as err:
        fail(str(err))
    _print(res, {"seconds": round(time.perf_counter() - t0, 1)}, float_format=lambda x: f"{x:.1f}")


def _monthly(folder: Path, seed: int, quick: bool) -> None:
    """``govperf bench anomaly --monthly DIR``: injected anomalies in real monthly series."""
    from govperf_ml.bench import monthly

    if not folder.is_dir():
        fail(f"--monthly {folder}: not a folder")
    _timed(monthly.run, folder, seed=seed, quick=quick)


def _suite(root: Path, seed: int, quick: bool, write_defaults: Optional[Path], results: Optional[Path]) -> None:
    """``govperf bench anomaly --suite ROOT``: NAB, GutenTAG, monthly and the sample city in one run
    (``--write-defaults PATH``: the served setting chosen on all of them, written there;
    ``--results DIR``: every detector's figures at every setting, ``anomaly_suite_scores.csv``)."""
    from govperf_ml.bench import anomaly_suite

    if write_defaults is not None and not write_defaults.parent.is_dir():
        fail(f"--write-defaults {write_defaults}: folder {write_defaults.parent} not found")
    _timed(anomaly_suite.run, root, seed=seed, quick=quick, write_defaults=write_defaults, results=results)


def _pii(data: Optional[Path], n: int, seed: int) -> None:
    """``govperf bench pii``: planted personal data, old masker vs new; --data adds held-out texts."""
    from govperf_ml.bench import pii

    _timed(pii.run, data, n=n, seed=seed)


def _sizes(text: str, option: str) -> list[int]:
    """``"10k,100k,1M"`` → ``[10000, 100000, 1000000]``; ``none`` or blank → ``[]``."""
    if text.strip().lower() in ("", "none"):
        return []
    out = []
    for part in text.split(","):
        p = part.strip().lower()
        mult = {"k": 1_000, "m": 1_000_000}.get(p[-1:], 1)
        try:
            n = int(float(p[:-1] if mult > 1 else p) * mult)
        except ValueError:
            n = 0
        if n < 1:
            fail(f"--{option} must be comma-separated series counts (e.g. 10k,100k,1M); got {text!r}")
        out.append(n)
    return out


def _scale(sizes: str, daily_sizes: str, workers: int, chunk_rows: int, seed: int, max_dask_series) -> None:
    """``govperf bench scale``: the batch paths on growing panels, one process and Dask."""
    from govperf_ml.bench import scale
    from govperf_ml.parallel import ClusterUnavailable

    monthly, daily = _sizes(sizes, "sizes"), _sizes(daily_sizes, "daily-sizes")
    if not monthly and not daily:
        fail("--sizes and --daily-sizes are both empty: nothing to measure")
    t0 = time.perf_counter()
    try:
        res = scale.run(sizes=monthly, daily_sizes=daily, workers=workers, chunk_rows=chunk_rows, seed=seed,
                        max_dask_series=max_dask_series)
    except ClusterUnavailable as err:
        fail(str(err))
    _print(res, {"seconds": round(time.perf_counter() - t0, 1)}, float_format=lambda x: f"{x:.3g}")
