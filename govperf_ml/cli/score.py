"""``govperf score``, ``govperf sample-city`` and ``govperf demo``: use the champions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer

from govperf_ml.batch import is_large
from govperf_ml.cli._common import (
    CAPS,
    BenchTask,
    ChunkOpt,
    DaskOpt,
    PathOpt,
    TimeoutOpt,
    WorkersOpt,
    champion,
    console,
    fail,
    out,
    read_csv,
)
from govperf_ml.cli.train import TrainingData, run_training
from govperf_ml.contracts import DataContractError


def _write(df: pd.DataFrame, output: Optional[Path], version: str) -> None:
    df = df.assign(model_version=version)
    if output is None:
        out.print(df.to_string(index=False, max_rows=60))
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(output, index=False)
        console.print(f"wrote {len(df)} rows to {output} (model {version})")


def _forecast_hierarchy(estimator, df: pd.DataFrame, spec: str, *, h: int, level, method: str,
                        has_future: bool) -> pd.DataFrame:
    """Every node of the hierarchy forecast and reconciled (the library's one path, as the API's)."""
    from govperf_ml.forecasting.hierarchy import forecast_hierarchy, hierarchy_from_columns, season_of

    if has_future:
        fail("--hierarchy: forecasts over a hierarchy take no --future values")
    tree = hierarchy_from_columns(df, spec)
    history = df.assign(ds=pd.to_datetime(df["ds"]))
    return forecast_hierarchy(estimator, history, tree, h=h, level=tuple(level), method=method,
                              season_length=season_of(history))


def score(
    capability: Annotated[BenchTask, typer.Argument(help="anomaly | forecast | targets | feedback")],
    input: Annotated[Path, typer.Option("--input", "-i", exists=True, dir_okay=False, help="CSV to score")],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="CSV to write (default: print)")] = None,
    targets: PathOpt = None,
    indicators: PathOpt = None,
    h: Annotated[int, typer.Option(help="forecast horizon")] = 28,
    level: Annotated[list[int], typer.Option(help="interval levels")] = [80, 95],
    future: Annotated[Optional[Path], typer.Option(
        exists=True, dir_okay=False,
        help="future values of the forecaster's exogenous columns (unique_id,ds,<columns>; h rows per series)")] = None,
    as_of: Annotated[Optional[str], typer.Option(help="assessment date for targets")] = None,
    hierarchy: Annotated[Optional[str], typer.Option(
        help="forecast: reconcile over a hierarchy: comma-separated key columns (e.g. Concession,Type,ATC1,ATC2) "
             "or 'parent' for a parent-link column; adds a level column")] = None,
    reconciliation: Annotated[str, typer.Option(
        help="with --hierarchy: mint_shrink | ols | bottom_up | none")] = "mint_shrink",
    dask: DaskOpt = None,
    workers: WorkersOpt = None,
    chunk_rows: ChunkOpt = None,
    dask_timeout: TimeoutOpt = 10.0,
):
    """Score a CSV with the champion model: anomalies, forecasts, target risk or feedback tags.

    anomaly, forecast and targets run in chunks of whole series (bounded memory, results
    written as they come) with --workers N (a local Dask cluster), --dask ADDRESS (a running
    scheduler), --chunk-rows, a Parquet input or output, or an input of 256 MB or more.
    """
    cap = capability.value
    batch = dask is not None or bool(workers) or chunk_rows is not None or is_large(input) or \
        any(p is not None and p.suffix.lower() == ".parquet" for p in (input, output))
    if batch and cap in BATCH_CAPS and hierarchy is None:
        return _score_batch(cap, input, output, dask=dask, workers=workers, timeout=dask_timeout,
                            chunk_rows=chunk_rows or 500_000,
                            options=lambda est: _batch_options(cap, est, indicators, targets, future, h, level, as_of))
    if dask is not None or workers:
        fail(f"--dask/--workers: {'--hierarchy reconciles the whole panel at once' if hierarchy else cap} "
             "runs in one process; drop --dask/--workers")
    model = champion(cap)
    res = _score_whole(cap, model, read_csv(input, "input"), indicators=indicators, targets=targets, future=future,
                       h=h, level=level, as_of=as_of, hierarchy=hierarchy, reconciliation=reconciliation)
    _write(res, output, model.label)


def _score_whole(cap: str, model, df: pd.DataFrame, *, indicators, targets, future, h: int, level, as_of,
                 hierarchy, reconciliation) -> pd.DataFrame:
    """The panel scored in one piece by the champion (the path without chunks)."""
    try:
        if cap == "anomaly":
            dirs = None
            if indicators is not None:
                meta = read_csv(indicators, "indicators")
                dirs = dict(zip(meta["unique_id"].astype(str), meta["direction"].astype(str)))
            res = model.estimator.score(df, directions=dirs)
        elif cap == "forecast":
            from govperf_ml.forecasting.ensemble import uses_exog

            extra = {"X_df": read_csv(future, "future")} if future is not None else {}
            if extra and not uses_exog(model.estimator):
                fail(f"--future: the champion forecaster ({model.label}) uses no exogenous columns")
            if hierarchy is not None:
                res = _forecast_hierarchy(model.estimator, df, hierarchy, h=h, level=level, method=reconciliation,
                                          has_future=bool(extra))
            else:
                res = model.estimator.forecast(df, h=h, level=level, **extra)
        elif cap == "targets":
            if targets is None:
                fail("--targets FILE is required to score targets")
            res = model.estimator.assess(df, read_csv(targets, "targets"), as_of=as_of)
        else:
            from govperf_ml.feedback.pii import mask_pii

            res = model.estimator.classify(df)
            res.insert(1, "masked_text", [mask_pii(t) for t in df["text"].astype(str)])
    except DataContractError as err:
        fail(str(err).replace("as X_df", "with --future FILE") if err.field == "X_df" else str(err))
    return res


BATCH_CAPS = ("anomaly", "forecast", "targets")


def _batch_options(cap: str, estimator, indicators, targets, future, h: int, level, as_of) -> dict:
    """The keywords of the chunk task of ``cap`` (see :data:`govperf_ml.batch.TASKS`)."""
    if cap == "anomaly":
        if indicators is None:
            return {"directions": None}
        meta = read_csv(indicators, "indicators")
        return {"directions": dict(zip(meta["unique_id"].astype(str), meta["direction"].astype(str)))}
    if cap == "forecast":
        from govperf_ml.forecasting.ensemble import uses_exog

        if future is not None and not uses_exog(estimator):
            fail("--future: the champion forecaster uses no exogenous columns")
        return {"h": h, "level": list(level), "future": read_csv(future, "future") if future is not None else None}
    if targets is None:
        fail("--targets FILE is required to score targets")
    return {"targets": read_csv(targets, "targets"), "as_of": as_of}


def _score_batch(cap: str, input: Path, output: Optional[Path], *, dask, workers, timeout: float, chunk_rows: int,
                 options) -> None:
    """Chunks of whole series through the champion, here or on Dask workers, into ``output``."""
    from govperf_ml.batch import BatchJob, run_batch
    from govperf_ml.parallel import ClusterUnavailable, cluster

    if output is None:
        fail("scoring in chunks writes a file: give --output FILE (.csv or .parquet)")
    try:
        with cluster(dask, workers, timeout=timeout) as client:
            model = champion(cap)
            job = BatchJob(cap, model.estimator, model.label, options(model.estimator), chunk_rows=chunk_rows)
            rows = run_batch(job, input, output, client=client)
    except ClusterUnavailable as err:
        fail(str(err))
    except DataContractError as err:
        fail(str(err).replace("as X_df", "with --future FILE") if err.field == "X_df" else str(err))
    console.print(f"wrote {rows} rows to {output} (model {model.label})")


def sample_city(
    out_dir: Annotated[Path, typer.Option("--out", help="folder to write the CSV files into")] = Path("sample_city"),
    seed: int = 0,
):
    """Write the bundled sample city (series, indicators, labels, demand, targets, feedback) as CSVs."""
    from govperf_ml.sample_city import make_sample_city, write_sample_city

    files = write_sample_city(make_sample_city(seed=seed), out_dir)
    for name, path in files.items():
        console.print(f"  {name:<14} {path}")


def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="where to write the sample city and results")] = Path("var/demo"),
):
    """A tour on the sample city: train what is missing, then one call of each capability."""
    from govperf_ml.sample_city import make_sample_city, write_sample_city

    city = make_sample_city()
    files = write_sample_city(city, out_dir / "sample_city")
    run_training(list(CAPS), TrainingData(), only_missing=True)
    anomaly, fc, tg, fb = (champion(c) for c in CAPS)

    uid = city.anomalies["unique_id"].iloc[0]
    dirs = dict(zip(city.indicators["unique_id"], city.indicators["direction"]))
    scored = anomaly.estimator.score(city.series[city.series["unique_id"] == uid], directions=dirs)
    console.rule(f"Anomalies in {uid} ({anomaly.label})")
    out.print(scored[scored["is_anomaly"]][["ds", "y", "expected", "kind", "severity", "reason_en"]].to_string(index=False))

    hotline = city.demand[city.demand["unique_id"] == city.demand["unique_id"].iloc[0]]
    console.rule(f"14-day forecast of {hotline['unique_id'].iloc[0]} ({fc.label})")
    out.print(fc.estimator.forecast(hotline, h=14).round(1).to_string(index=False))

    last_year = city.targets[city.targets["deadline"] == city.targets["deadline"].max()].head(8)
    as_of = pd.Timestamp(last_year["deadline"].iloc[0]) - pd.DateOffset(months=6)
    hist = city.series[city.series["ds"] <= as_of]
    console.rule(f"Target risk at {as_of.date()} ({tg.label})")
    risk = tg.estimator.assess(hist, last_year, as_of=as_of)
    out.print(risk[["target_id", "p_miss", "status", "reason_en"]].to_string(index=False))

    console.rule(f"Feedback tags ({fb.label})")
    msgs = pd.DataFrame({"message_id": ["demo-1", "demo-2"], "text": [
        "小区门口的路灯坏了一个多月，打了三次12345都没人来修，我的电话13812345678。",
        "The bus on route 7 never keeps to its timetable and the driver was rude to my father.",
    ]})
    out.print(fb.estimator.classify(msgs)[["message_id", "area", "area_confidence", "dimensions", "needs_review"]]
              .to_string(index=False))
    console.print(f"\nSample city written to {files['series'].parent}")


