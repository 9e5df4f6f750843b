"""The ``govperf`` command line: train, serve, score, bench, demo, models, sample-city.

Every command that reads data takes file paths, so the same command runs on the bundled
sample city or on a department's own CSV files. Bad input ends with one line naming
what is wrong (exit code 2), never a traceback.
"""

from __future__ import annotations

import json
import time
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from govperf_ml.contracts import DataContractError

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help=__doc__.split("\n")[0],
    pretty_exceptions_show_locals=False,  # locals may hold citizens' messages
)
console = Console(stderr=True)
out = Console(soft_wrap=True)  # tables and CSV-like output are not re-wrapped at the terminal width


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


CAPS = ("anomaly", "forecast", "targets", "feedback")
PathOpt = Annotated[Optional[Path], typer.Option(exists=True, dir_okay=False, readable=True)]


def _fail(message: str) -> None:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code=2)


def read_csv(path: Path, what: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        _fail(f"cannot read {what} file {path}: {err}")


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=console, transient=False,
    )


# ----------------------------------------------------------------------------- data
class TrainingData:
    """Training inputs: the user's CSV files where given, else the bundled sample city."""

    def __init__(self, *, series=None, indicators=None, labels=None, demand=None, targets=None, feedback=None,
                 corrections=None, seed: int = 0, exog=None):
        self._files = dict(series=series, indicators=indicators, labels=labels, demand=demand, targets=targets,
                           feedback=feedback, corrections=corrections)
        self.seed = seed
        self.exog = list(exog) if exog else None
        self._city = None

    @property
    def city(self):
        if self._city is None:
            from govperf_ml.sample_city import make_sample_city

            self._city = make_sample_city(seed=self.seed)
        return self._city

    def get(self, name: str):
        path = self._files.get(name)
        if path is not None:
            return read_csv(path, name)
        if name == "corrections":
            return self.db_corrections()
        if name == "labels":
            return self.city.anomalies if self._files["series"] is None else None
        if name == "indicators" and self._files["series"] is not None:
            return None
        attr = {"series": "series", "indicators": "indicators", "demand": "demand", "targets": "targets",
                "feedback": "feedback"}[name]
        return getattr(self.city, attr)

    def db_corrections(self):
        """Handlers' corrections stored by the service (None if there is no database yet)."""
        from pathlib import Path as _P

        from api.settings import get_settings

        url = get_settings().database_url
        if url.startswith("sqlite:///") and not _P(url.removeprefix("sqlite:///")).exists():
            return None
        from api.services.corrections import corrections_frame

        frame = corrections_frame(url)
        if len(frame):
            console.print(f"using {len(frame)} handler corrections from {url.split('@')[-1]}")
        return frame if len(frame) else None

    def directions(self) -> dict | None:
        meta = self.get("indicators")
        if meta is None:
            return None
        return dict(zip(meta["unique_id"].astype(str), meta["direction"].astype(str)))


def train_one(cap: str, data: TrainingData):
    from govperf_ml import training

    if cap == "anomaly":
        return training.train_anomaly(data.get("series"), data.get("labels"), data.directions())
    if cap == "forecast":
        return training.train_forecast(data.get("demand"), exog=data.exog)
    if cap == "targets":
        return training.train_targets(data.get("series"), data.get("targets"))
    return training.train_feedback(data.get("feedback"), corrections=data.get("corrections"))


def run_training(caps, data: TrainingData, *, only_missing: bool = False, uri: str | None = None) -> list:
    from govperf_ml import registry

    if only_missing:
        missing = registry.missing_champions(uri=uri)
        caps = [c for c in caps if c in missing]
    results = []
    if not caps:
        console.print("All models have a champion; nothing to train.")
        return results
    with _progress() as progress:
        task = progress.add_task("training", total=len(caps))
        for cap in caps:
            progress.update(task, description=f"training {cap}")
            t0 = time.perf_counter()
            res = train_one(cap, data)
            reg = registry.log_and_register(
                cap, res.estimator, params=res.params, metrics=res.metrics, gate_metric=res.gate_metric,
                greater_is_better=res.greater_is_better, promote_on_tie=res.promote_on_tie, uri=uri,
                tags={"source": "user files" if any(v is not None for v in data._files.values()) else "sample city"},
            )
            results.append((res, reg, time.perf_counter() - t0))
            progress.advance(task)
    table = Table(title="Training runs")
    for col in ("model", "version", "gate metric", "value", "champion before", "promoted", "seconds"):
        table.add_column(col)
    for res, reg, secs in results:
        before = "none" if reg.champion_before is None else f"v{reg.champion_before} ({reg.champion_value:.4g})"
        table.add_row(reg.name, reg.version, reg.metric, f"{reg.value:.4g}", before, "yes" if reg.promoted else "no",
                      f"{secs:.1f}")
    console.print(table)
    return results


@app.command()
def train(
    capability: Annotated[Capability, typer.Argument(help="which model to train")] = Capability.all,
    series: PathOpt = None,
    indicators: PathOpt = None,
    labels: PathOpt = None,
    demand: PathOpt = None,
    targets: PathOpt = None,
    feedback: PathOpt = None,
    corrections: PathOpt = None,
    exog: Annotated[Optional[list[str]], typer.Option(
        help="exogenous column of --demand for the forecaster (repeat for several; future values are then "
             "needed to forecast: `govperf score forecast --future FILE`)")] = None,
    only_missing: Annotated[bool, typer.Option(help="train only models that have no champion yet")] = False,
    seed: Annotated[int, typer.Option(help="seed of the sample city")] = 0,
):
    """Train, log to MLflow and register models (on the sample city unless files are given).

    Files: --series (unique_id,ds,y), --indicators (metadata), --labels (unique_id,ds of
    known anomalies), --demand (unique_id,ds,y), --targets, --feedback (text,area,
    dimensions), --corrections (handlers' corrected labels; without it, the corrections
    stored by the service in GOVPERF_DATABASE_URL are used).
    """
    caps = CAPS if capability == Capability.all else (capability.value,)
    if exog and demand is None:
        _fail("--exog names columns of your --demand file; the sample city's demand has none")
    data = TrainingData(series=series, indicators=indicators, labels=labels, demand=demand, targets=targets,
                        feedback=feedback, corrections=corrections, seed=seed, exog=exog)
    try:
        run_training(list(caps), data, only_missing=only_missing)
    except DataContractError as err:
        _fail(str(err))


@app.command()
def models():
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


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="bind address (default from settings: 127.0.0.1)")] = None,
    port: Annotated[Optional[int], typer.Option(help="port (default from settings: 8000)")] = None,
    train_missing: Annotated[bool, typer.Option(help="train models that have no champion first")] = True,
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
    console.print(f"Serving on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    # the service writes its own access line (with a request id), so uvicorn's is off
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, log_config=uvicorn_log_config(),
                access_log=False)


def _champion(cap: str):
    from govperf_ml import registry

    model = registry.load_champion(cap)
    if model is None:
        _fail(f"no {cap} model is registered; run `govperf train {cap}` first")
    return model


def _write(df: pd.DataFrame, output: Optional[Path], version: str) -> None:
    df = df.assign(model_version=version)
    if output is None:
        out.print(df.to_string(index=False, max_rows=60))
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(output, index=False)
        console.print(f"wrote {len(df)} rows to {output} (model {version})")


@app.command()
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
):
    """Score a CSV with the champion model: anomalies, forecasts, target risk or feedback tags."""
    cap = capability.value
    model = _champion(cap)
    df = read_csv(input, "input")
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
                _fail(f"--future: the champion forecaster ({model.label}) uses no exogenous columns")
            res = model.estimator.forecast(df, h=h, level=level, **extra)
        elif cap == "targets":
            if targets is None:
                _fail("--targets FILE is required to score targets")
            res = model.estimator.assess(df, read_csv(targets, "targets"), as_of=as_of)
        else:
            from govperf_ml.feedback.pii import mask_pii

            res = model.estimator.classify(df)
            res.insert(1, "masked_text", [mask_pii(t) for t in df["text"].astype(str)])
    except DataContractError as err:
        _fail(str(err).replace("as X_df", "with --future FILE") if err.field == "X_df" else str(err))
    _write(res, output, model.label)


@app.command("sample-city")
def sample_city(
    out_dir: Annotated[Path, typer.Option("--out", help="folder to write the CSV files into")] = Path("sample_city"),
    seed: int = 0,
):
    """Write the bundled sample city (series, indicators, labels, demand, targets, feedback) as CSVs."""
    from govperf_ml.sample_city import make_sample_city, write_sample_city

    files = write_sample_city(make_sample_city(seed=seed), out_dir)
    for name, path in files.items():
        console.print(f"  {name:<14} {path}")


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="where to write the sample city and results")] = Path("var/demo"),
):
    """A tour on the sample city: train what is missing, then one call of each capability."""
    from govperf_ml.sample_city import make_sample_city, write_sample_city

    city = make_sample_city()
    files = write_sample_city(city, out_dir / "sample_city")
    run_training(list(CAPS), TrainingData(), only_missing=True)
    anomaly, fc, tg, fb = (_champion(c) for c in CAPS)

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


# ----------------------------------------------------------------------------- bench
@app.command()
def bench(
    task: Annotated[BenchTask, typer.Argument(help="anomaly | forecast | targets | feedback")],
    data: Annotated[Optional[Path], typer.Option(help="dataset folder in the benchmark's layout")] = None,
    freq: Annotated[str, typer.Option(help="M4 frequency for forecast/targets")] = "hourly",
    csv: Annotated[Optional[Path], typer.Option(help="feedback: any labelled CSV file")] = None,
    text_col: Annotated[str, typer.Option(help="feedback --csv: text column")] = "text",
    label_col: Annotated[str, typer.Option(help="feedback --csv: label column")] = "label",
    results: Annotated[Optional[Path], typer.Option(help="folder for detailed results")] = None,
    quick: Annotated[bool, typer.Option(help="a smaller run for smoke tests")] = False,
):
    """Compare our models with the named baselines on a public benchmark; prints a table and RESULT."""
    from govperf_ml import bench as benches

    if data is None and csv is None:
        _fail("--data PATH (or, for feedback, --csv FILE) is required")
    if data is not None and not data.exists():
        _fail(f"--data {data} does not exist")
    t0 = time.perf_counter()
    try:
        if task == BenchTask.anomaly:
            res = benches.anomaly.run(data, results=results or Path("bench-results/anomaly"), quick=quick)
        elif task == BenchTask.forecast:
            res = benches.forecast.run(data, freq=freq, quick=quick)
        elif task == BenchTask.targets:
            res = benches.targets.run(data, freq=freq, quick=quick)
        else:
            res = benches.feedback.run(data, csv=csv, text_col=text_col, label_col=label_col, quick=quick)
    except DataContractError as err:
        _fail(str(err))
    for title, table in res.tables:
        console.rule(title)
        out.print(table.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    for note in res.notes:
        out.print(note)
    summary = {**res.summary, "seconds": round(time.perf_counter() - t0, 1)}
    print("RESULT " + json.dumps(summary, ensure_ascii=False), flush=True)  # one line, never wrapped


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
